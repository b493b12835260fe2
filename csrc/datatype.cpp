// Datatypes: the Datatype class, every predefined datatype, and the mapping from
// buffer-protocol format codes to MPI datatypes (built once, then a table lookup).
#include "objects.hpp"

#include <nanobind/stl/tuple.h>

#include <array>
#include <string>
#include <unordered_map>

namespace mpipy {

namespace {

// A predefined datatype: its Python name, its handle (null where this MPI lacks it), and
// its type code (a struct-module character for C types, kind+size for sized types).
struct Predefined {
    const char *name;
    MPI_Datatype type;
    const char *code;
};

#ifndef MPI_LOGICAL1
#define MPI_LOGICAL1 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL2
#define MPI_LOGICAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL4
#define MPI_LOGICAL4 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL8
#define MPI_LOGICAL8 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL16
#define MPI_LOGICAL16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_INTEGER16
#define MPI_INTEGER16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_REAL2
#define MPI_REAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_COMPLEX4
#define MPI_COMPLEX4 MPI_DATATYPE_NULL
#endif
#if defined(MPIX_C_FLOAT16)
#define MPIPY_FLOAT16 MPIX_C_FLOAT16
#elif defined(MPI_C_FLOAT16)
#define MPIPY_FLOAT16 MPI_C_FLOAT16
#else
#define MPIPY_FLOAT16 MPI_DATATYPE_NULL
#endif
#if defined(MPIX_BFLOAT16)
#define MPIPY_BFLOAT16 MPIX_BFLOAT16
#else
#define MPIPY_BFLOAT16 MPI_DATATYPE_NULL
#endif

// Order matters: the first name of a handle is its pickling name, the first code its tocode().
const Predefined predefined_types[] = {
    {"DATATYPE_NULL", MPI_DATATYPE_NULL, nullptr},
    {"PACKED", MPI_PACKED, "B"},
    {"BYTE", MPI_BYTE, "B"},
    {"AINT", MPI_AINT, "p"},
    {"OFFSET", MPI_OFFSET, "p"},
    {"COUNT", MPI_COUNT, "p"},
    {"CHAR", MPI_CHAR, "c"},
    {"WCHAR", MPI_WCHAR, "U"},
    {"SIGNED_CHAR", MPI_SIGNED_CHAR, "b"},
    {"SHORT", MPI_SHORT, "h"},
    {"INT", MPI_INT, "i"},
    {"LONG", MPI_LONG, "l"},
    {"LONG_LONG", MPI_LONG_LONG, "q"},
    {"UNSIGNED_CHAR", MPI_UNSIGNED_CHAR, "B"},
    {"UNSIGNED_SHORT", MPI_UNSIGNED_SHORT, "H"},
    {"UNSIGNED", MPI_UNSIGNED, "I"},
    {"UNSIGNED_LONG", MPI_UNSIGNED_LONG, "L"},
    {"UNSIGNED_LONG_LONG", MPI_UNSIGNED_LONG_LONG, "Q"},
    {"FLOAT", MPI_FLOAT, "f"},
    {"DOUBLE", MPI_DOUBLE, "d"},
    {"LONG_DOUBLE", MPI_LONG_DOUBLE, "g"},
    {"C_BOOL", MPI_C_BOOL, "?"},
    {"INT8_T", MPI_INT8_T, "i1"},
    {"INT16_T", MPI_INT16_T, "i2"},
    {"INT32_T", MPI_INT32_T, "i4"},
    {"INT64_T", MPI_INT64_T, "i8"},
    {"UINT8_T", MPI_UINT8_T, "u1"},
    {"UINT16_T", MPI_UINT16_T, "u2"},
    {"UINT32_T", MPI_UINT32_T, "u4"},
    {"UINT64_T", MPI_UINT64_T, "u8"},
    {"FLOAT16_T", MPIPY_FLOAT16, "e"},
    {"BFLOAT16_T", MPIPY_BFLOAT16, nullptr},
    {"C_COMPLEX", MPI_C_COMPLEX, "F"},
    {"C_FLOAT_COMPLEX", MPI_C_FLOAT_COMPLEX, "F"},
    {"C_DOUBLE_COMPLEX", MPI_C_DOUBLE_COMPLEX, "D"},
    {"C_LONG_DOUBLE_COMPLEX", MPI_C_LONG_DOUBLE_COMPLEX, "G"},
    {"CXX_BOOL", MPI_CXX_BOOL, "?"},
    {"CXX_FLOAT_COMPLEX", MPI_CXX_FLOAT_COMPLEX, "F"},
    {"CXX_DOUBLE_COMPLEX", MPI_CXX_DOUBLE_COMPLEX, "D"},
    {"CXX_LONG_DOUBLE_COMPLEX", MPI_CXX_LONG_DOUBLE_COMPLEX, "G"},
    {"SHORT_INT", MPI_SHORT_INT, nullptr},
    {"INT_INT", MPI_2INT, nullptr},
    {"LONG_INT", MPI_LONG_INT, nullptr},
    {"FLOAT_INT", MPI_FLOAT_INT, nullptr},
    {"DOUBLE_INT", MPI_DOUBLE_INT, nullptr},
    {"LONG_DOUBLE_INT", MPI_LONG_DOUBLE_INT, nullptr},
    {"CHARACTER", MPI_CHARACTER, "c"},
    {"LOGICAL", MPI_LOGICAL, nullptr},
    {"INTEGER", MPI_INTEGER, "i"},
    {"REAL", MPI_REAL, "f"},
    {"DOUBLE_PRECISION", MPI_DOUBLE_PRECISION, "d"},
    {"COMPLEX", MPI_COMPLEX, "F"},
    {"DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX, "D"},
    {"LOGICAL1", MPI_LOGICAL1, nullptr},
    {"LOGICAL2", MPI_LOGICAL2, nullptr},
    {"LOGICAL4", MPI_LOGICAL4, nullptr},
    {"LOGICAL8", MPI_LOGICAL8, nullptr},
    {"LOGICAL16", MPI_LOGICAL16, nullptr},
    {"INTEGER1", MPI_INTEGER1, "i1"},
    {"INTEGER2", MPI_INTEGER2, "i2"},
    {"INTEGER4", MPI_INTEGER4, "i4"},
    {"INTEGER8", MPI_INTEGER8, "i8"},
    {"INTEGER16", MPI_INTEGER16, "i16"},
    {"REAL2", MPI_REAL2, "f2"},
    {"REAL4", MPI_REAL4, "f4"},
    {"REAL8", MPI_REAL8, "f8"},
    {"REAL16", MPI_REAL16, "f16"},
    {"COMPLEX4", MPI_COMPLEX4, "c4"},
    {"COMPLEX8", MPI_COMPLEX8, "c8"},
    {"COMPLEX16", MPI_COMPLEX16, "c16"},
    {"COMPLEX32", MPI_COMPLEX32, "c32"},
    // mpi4py's aliases.
    {"UNSIGNED_INT", MPI_UNSIGNED, "I"},
    {"SIGNED_SHORT", MPI_SHORT, "h"},
    {"SIGNED_INT", MPI_INT, "i"},
    {"SIGNED_LONG", MPI_LONG, "l"},
    {"SIGNED_LONG_LONG", MPI_LONG_LONG, "q"},
    {"BOOL", MPI_C_BOOL, "?"},
    {"SINT8_T", MPI_INT8_T, "i1"},
    {"SINT16_T", MPI_INT16_T, "i2"},
    {"SINT32_T", MPI_INT32_T, "i4"},
    {"SINT64_T", MPI_INT64_T, "i8"},
    {"FLOAT32_T", MPI_FLOAT, "f"},
    {"FLOAT64_T", MPI_DOUBLE, "d"},
    {"F_BOOL", MPI_LOGICAL, nullptr},
    {"F_INT", MPI_INTEGER, "i"},
    {"F_FLOAT", MPI_REAL, "f"},
    {"F_DOUBLE", MPI_DOUBLE_PRECISION, "d"},
    {"F_COMPLEX", MPI_COMPLEX, "F"},
    {"F_FLOAT_COMPLEX", MPI_COMPLEX, "F"},
    {"F_DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX, "D"},
    {"TWOINT", MPI_2INT, nullptr},
};

// Codes understood by fromcode() and by the buffer-format mapping, beyond those above:
// NumPy's kind+size spellings and Python's struct-module aliases.
struct CodeAlias {
    const char *code;
    MPI_Datatype type;
};
const CodeAlias code_aliases[] = {
    {"b1", MPI_C_BOOL},    {"?", MPI_C_BOOL},     {"f2", MPIPY_FLOAT16}, {"e", MPIPY_FLOAT16},
    {"f4", MPI_FLOAT},     {"f8", MPI_DOUBLE},    {"f16", MPI_LONG_DOUBLE},
    {"c8", MPI_C_FLOAT_COMPLEX},   {"c16", MPI_C_DOUBLE_COMPLEX},
    {"c32", MPI_C_LONG_DOUBLE_COMPLEX}, {"Zf", MPI_C_FLOAT_COMPLEX},
    {"Zd", MPI_C_DOUBLE_COMPLEX},  {"Zg", MPI_C_LONG_DOUBLE_COMPLEX},
    {"n", MPI_AINT},       {"N", MPI_UNSIGNED_LONG}, {"p", MPI_AINT},  {"P", MPI_UNSIGNED_LONG},
    {"s", MPI_CHAR},       {"1s", MPI_CHAR},      {"S", MPI_CHAR},       {"S1", MPI_CHAR},
    {"a", MPI_CHAR},       {"U1", MPI_WCHAR},     {"w", MPI_WCHAR},      {"1w", MPI_WCHAR},
    {"u", MPI_UINT16_T},   {"1u", MPI_UINT16_T},  {"M", MPI_INT64_T},    {"M8", MPI_INT64_T},
    {"m", MPI_INT64_T},    {"m8", MPI_INT64_T},
};

std::unordered_map<std::string, MPI_Datatype> &code_table() {
    static std::unordered_map<std::string, MPI_Datatype> table;
    return table;
}
std::unordered_map<std::intptr_t, std::string> &type_code() {
    static std::unordered_map<std::intptr_t, std::string> codes;
    return codes;
}

// Single-character native formats resolve by array index: the hot path of every
// uppercase call that infers its datatype.
std::array<MPI_Datatype, 128> single_char_types;

void build_code_tables() {
    single_char_types.fill(MPI_DATATYPE_NULL);
    auto add = [](const char *code, MPI_Datatype type) {
        if (!code || type == MPI_DATATYPE_NULL) return;
        code_table().emplace(code, type);
        type_code().emplace(handle_to_int(type), code);
        if (code[0] && !code[1] && code[0] > 0) {
            auto &slot = single_char_types[static_cast<unsigned char>(code[0])];
            if (slot == MPI_DATATYPE_NULL) slot = type;
        }
    };
    for (const auto &p : predefined_types) add(p.code, p.type);
    for (const auto &a : code_aliases) add(a.code, a.type);
    // Sized integer spellings that follow from the C types of this platform.
    const struct {
        char kind;
        MPI_Datatype s1, s2, s4, s8;
    } sized[] = {{'i', MPI_INT8_T, MPI_INT16_T, MPI_INT32_T, MPI_INT64_T},
                 {'u', MPI_UINT8_T, MPI_UINT16_T, MPI_UINT32_T, MPI_UINT64_T}};
    for (const auto &s : sized) {
        add((std::string(1, s.kind) + "1").c_str(), s.s1);
        add((std::string(1, s.kind) + "2").c_str(), s.s2);
        add((std::string(1, s.kind) + "4").c_str(), s.s4);
        add((std::string(1, s.kind) + "8").c_str(), s.s8);
    }
}

// Datatype for a struct-module format in standard-size mode ('<', '>', '=', '!' prefixes),
// where sizes are fixed by the format rather than by the platform's C types.
MPI_Datatype standard_size_type(char c) {
    switch (c) {
    case 'b': return MPI_INT8_T;
    case 'B': return MPI_UINT8_T;
    case 'h': return MPI_INT16_T;
    case 'H': return MPI_UINT16_T;
    case 'i':
    case 'l': return MPI_INT32_T;
    case 'I':
    case 'L': return MPI_UINT32_T;
    case 'q': return MPI_INT64_T;
    case 'Q': return MPI_UINT64_T;
    case 'e': return MPIPY_FLOAT16;
    case 'f': return MPI_FLOAT;
    case 'd': return MPI_DOUBLE;
    case '?': return MPI_C_BOOL;
    case 'c':
    case 's': return MPI_CHAR;
    default: return MPI_DATATYPE_NULL;
    }
}

bool host_is_little_endian() {
    const std::uint16_t one = 1;
    return *reinterpret_cast<const unsigned char *>(&one) == 1;
}

} // namespace

MPI_Datatype datatype_for_format(const char *format) {
    if (!format) return MPI_BYTE;  // no format: unsigned bytes
    unsigned char c0 = static_cast<unsigned char>(format[0]);
    if (c0 < 128 && format[1] == 0) {
        MPI_Datatype t = single_char_types[c0];
        if (t != MPI_DATATYPE_NULL) return t;
    }
    const char *code = format;
    bool standard = false;
    switch (*code) {
    case '@': ++code; break;
    case '=': ++code, standard = true; break;
    case '<': ++code, standard = true; if (!host_is_little_endian()) return MPI_DATATYPE_NULL; break;
    case '>':
    case '!': ++code, standard = true; if (host_is_little_endian()) return MPI_DATATYPE_NULL; break;
    default: break;
    }
    if (standard && code[0] && !code[1]) {
        if (MPI_Datatype t = standard_size_type(code[0]); t != MPI_DATATYPE_NULL) return t;
    }
    auto it = code_table().find(code);
    return it == code_table().end() ? MPI_DATATYPE_NULL : it->second;
}

namespace {

struct Extent {
    MPI_Count lb, extent;
};
Extent extent_of(MPI_Datatype t) {
    MPI_Count lb = 0, extent = 0;
    check(MPI_Type_get_extent_x(t, &lb, &extent));
    return {lb, extent};
}
Extent true_extent_of(MPI_Datatype t) {
    MPI_Count lb = 0, extent = 0;
    check(MPI_Type_get_true_extent_x(t, &lb, &extent));
    return {lb, extent};
}
MPI_Count size_of(MPI_Datatype t) {
    MPI_Count size = 0;
    check(MPI_Type_size_x(t, &size));
    return size;
}

// The code of a datatype: its own if predefined with one, else that of the predefined
// datatype of the same kind (for named duplicates), else empty.
std::string code_of(MPI_Datatype t) {
    auto it = type_code().find(handle_to_int(t));
    return it == type_code().end() ? std::string() : it->second;
}

// NumPy-style type string: kind letter and size ('i4', 'f8', 'c16', 'b1', 'V12', ...).
std::string typestr_of(MPI_Datatype t) {
    std::string code = code_of(t);
    MPI_Count size = size_of(t);
    if (code.empty()) return "V" + std::to_string(extent_of(t).extent);
    char c = code[0];
    if (code.size() > 1 && code[0] != 'Z') return code;
    switch (c) {
    case '?': return "b1";
    case 'b': case 'h': case 'i': case 'l': case 'q': case 'p': case 'n':
        return "i" + std::to_string(size);
    case 'B': case 'H': case 'I': case 'L': case 'Q': case 'P': case 'N':
        return "u" + std::to_string(size);
    case 'e': case 'f': case 'd': case 'g': return "f" + std::to_string(size);
    case 'F': case 'D': case 'G': case 'Z': return "c" + std::to_string(size);
    case 'c': case 's': return "S1";
    case 'U': case 'w': return "U1";
    default: return "V" + std::to_string(size);
    }
}

} // namespace

void datatype_after_init() {}

void bind_datatype(nb::module_ &m) {
    build_code_tables();

    nb::class_<Datatype> cls(m, "Datatype", "Datatype object.");
    bind_handle_protocol(cls);
    cls.def(
           "Get_size", [](const Datatype &self) { return size_of(self.get()); },
           "Return the number of bytes occupied by entries in the datatype.")
        .def_prop_ro("size", [](const Datatype &self) { return size_of(self.get()); },
                     "Size (in bytes).")
        .def(
            "Get_extent",
            [](const Datatype &self) {
                Extent e = extent_of(self.get());
                return std::make_tuple(e.lb, e.extent);
            },
            "Return lower bound and extent of datatype.")
        .def_prop_ro("extent", [](const Datatype &self) { return extent_of(self.get()).extent; },
                     "Extent.")
        .def_prop_ro("lb", [](const Datatype &self) { return extent_of(self.get()).lb; },
                     "Lower bound.")
        .def_prop_ro(
            "ub",
            [](const Datatype &self) {
                Extent e = extent_of(self.get());
                return e.lb + e.extent;
            },
            "Upper bound.")
        .def(
            "Get_true_extent",
            [](const Datatype &self) {
                Extent e = true_extent_of(self.get());
                return std::make_tuple(e.lb, e.extent);
            },
            "Return the true lower bound and extent of a datatype.")
        .def_prop_ro("true_extent",
                     [](const Datatype &self) { return true_extent_of(self.get()).extent; },
                     "True extent.")
        .def_prop_ro("true_lb", [](const Datatype &self) { return true_extent_of(self.get()).lb; },
                     "True lower bound.")
        .def_prop_ro(
            "true_ub",
            [](const Datatype &self) {
                Extent e = true_extent_of(self.get());
                return e.lb + e.extent;
            },
            "True upper bound.")
        .def(
            "Get_name",
            [](const Datatype &self) {
                char name[MPI_MAX_OBJECT_NAME + 1] = {0};
                int len = 0;
                check(MPI_Type_get_name(self.get(), name, &len));
                return std::string(name, static_cast<size_t>(len));
            },
            "Get the print name for this datatype.")
        .def(
            "Set_name",
            [](const Datatype &self, nb::handle name) {
                MPI_Datatype t = self.get();
                check(MPI_Type_set_name(t, to_string(name, "name").c_str()));
            },
            nb::arg("name"), "Set the print name for this datatype.")
        .def_prop_rw(
            "name", [](nb::handle self) { return self.attr("Get_name")(); },
            [](nb::handle self, nb::handle name) { self.attr("Set_name")(name); },
            "Print name.")
        .def(
            "Dup",
            [](nb::handle self) {
                MPI_Datatype t = nb::inst_ptr<Datatype>(self)->get(), dup = MPI_DATATYPE_NULL;
                check(MPI_Type_dup(t, &dup));
                return new_like<Datatype>(self, dup);
            },
            "Duplicate a datatype.")
        .def(
            "Commit",
            [](nb::handle self) {
                MPI_Datatype t = nb::inst_ptr<Datatype>(self)->get();
                check(MPI_Type_commit(&t));
                return nb::borrow(self);
            },
            "Commit the datatype.")
        .def(
            "Free",
            [](Datatype &self) {
                MPI_Datatype t = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_TYPE};
                check(MPI_Type_free(&t));
                self.handle = t;
            },
            "Free the datatype.")
        .def_prop_ro(
            "combiner",
            [](const Datatype &self) {
                int ni = 0, na = 0, nd = 0, combiner = MPI_UNDEFINED;
                check(MPI_Type_get_envelope(self.get(), &ni, &na, &nd, &combiner));
                return combiner;
            },
            "Combiner.")
        .def_prop_ro(
            "is_named",
            [](const Datatype &self) {
                int ni = 0, na = 0, nd = 0, combiner = MPI_UNDEFINED;
                check(MPI_Type_get_envelope(self.get(), &ni, &na, &nd, &combiner));
                return combiner == MPI_COMBINER_NAMED;
            },
            "Is a named datatype.")
        .def_prop_ro(
            "is_predefined",
            [](const Datatype &self) {
                if (self.is_null()) return true;
                int ni = 0, na = 0, nd = 0, combiner = MPI_UNDEFINED;
                check(MPI_Type_get_envelope(self.get(), &ni, &na, &nd, &combiner));
                return combiner == MPI_COMBINER_NAMED;
            },
            "Is a predefined datatype.")
        .def(
            "tocode",
            [](const Datatype &self) {
                std::string code = code_of(self.get());
                if (code.empty()) throw nb::value_error("cannot map to character code or type string");
                return code;
            },
            "Get character code or type string from predefined MPI datatype.")
        .def_prop_ro(
            "typechar",
            [](const Datatype &self) -> std::string {
                if (self.is_null()) return "";
                std::string code = code_of(self.get());
                if (code.empty()) return "V";
                if (code.size() == 1) return code;
                std::string ts = typestr_of(self.get());
                return ts.substr(0, 1) == "V" ? "V" : code.substr(0, 1);
            },
            "Character code.")
        .def_prop_ro(
            "typestr",
            [](const Datatype &self) -> std::string {
                if (self.is_null()) return "";
                return typestr_of(self.get());
            },
            "Type string.")
        .def_static(
            "fromcode",
            [](nb::handle code) {
                std::string text = to_string(code, "code");
                MPI_Datatype t = datatype_for_format(text.c_str());
                if (t == MPI_DATATYPE_NULL)
                    throw nb::value_error(("cannot map code '" + text + "' to MPI datatype").c_str());
                nb::object obj = new_handle<Datatype>(t);
                nb::inst_ptr<Datatype>(obj)->predefined = true;
                return obj;
            },
            nb::arg("code"), "Get predefined MPI datatype from character code or type string.");

    for (const auto &p : predefined_types) add_constant<Datatype>(m, p.name, p.type);

    nb::dict typedict;
    for (const auto &[code, type] : code_table()) {
        nb::object obj = new_handle<Datatype>(type);
        nb::inst_ptr<Datatype>(obj)->predefined = true;
        typedict[code.c_str()] = obj;
    }
    m.attr("_typedict") = typedict;
}

} // namespace mpipy
