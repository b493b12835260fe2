// Datatypes: the Datatype class, every predefined datatype, and the mapping from
// buffer-protocol format codes to MPI datatypes (built once, then a table lookup).
#include "core/objects.hpp"

#include <nanobind/stl/tuple.h>

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace mpipy {

namespace {

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

// struct-module character of the C type of a given kind and size on this platform, or 'V'
// where no C type matches (a 16-byte integer, a 4-byte complex).
constexpr char int_char(std::size_t size) {
    return size == sizeof(signed char) ? 'b'
           : size == sizeof(short)     ? 'h'
           : size == sizeof(int)       ? 'i'
           : size == sizeof(long)      ? 'l'
           : size == sizeof(long long) ? 'q'
                                       : 'V';
}
constexpr char uint_char(std::size_t size) {
    char c = int_char(size);
    return c == 'V' ? c : static_cast<char>(c - 'a' + 'A');
}
constexpr char real_char(std::size_t size) {
    return size == 2                     ? 'e'
           : size == sizeof(float)       ? 'f'
           : size == sizeof(double)      ? 'd'
           : size == sizeof(long double) ? 'g'
                                         : 'V';
}
constexpr char complex_char(std::size_t size) {
    char c = real_char(size / 2);
    return c == 'V' || c == 'e' ? 'V' : static_cast<char>(c - 'a' + 'A');
}

// A predefined datatype: its Python name, its handle (null where this MPI lacks it), the
// code tocode() gives (none for pair types and the like), its typechar (a struct-module
// character, 'V' when no C type matches; 'E' for a 4-byte complex) and its typestr where the
// typechar cannot give it. The values follow mpi4py's.
struct Predefined {
    const char *name;
    MPI_Datatype type;
    const char *code;
    char typechar;
    const char *typestr = nullptr;  // where the typechar does not say it (no C type matches)
};

// Order matters where several names share a handle: the first is its pickling name and
// gives its code.
const Predefined predefined_types[] = {
    {"DATATYPE_NULL", MPI_DATATYPE_NULL, nullptr, 0},
    {"PACKED", MPI_PACKED, "B", 'B'},
    {"BYTE", MPI_BYTE, "B", 'B'},
    {"AINT", MPI_AINT, "p", 'p'},
    {"OFFSET", MPI_OFFSET, "p", 'p'},
    {"COUNT", MPI_COUNT, "p", 'p'},
    {"CHAR", MPI_CHAR, "c", 'c'},
    {"WCHAR", MPI_WCHAR, "U", 'U'},
    {"SIGNED_CHAR", MPI_SIGNED_CHAR, "b", 'b'},
    {"SHORT", MPI_SHORT, "h", 'h'},
    {"INT", MPI_INT, "i", 'i'},
    {"LONG", MPI_LONG, "l", 'l'},
    {"LONG_LONG", MPI_LONG_LONG, "q", 'q'},
    {"UNSIGNED_CHAR", MPI_UNSIGNED_CHAR, "B", 'B'},
    {"UNSIGNED_SHORT", MPI_UNSIGNED_SHORT, "H", 'H'},
    {"UNSIGNED", MPI_UNSIGNED, "I", 'I'},
    {"UNSIGNED_LONG", MPI_UNSIGNED_LONG, "L", 'L'},
    {"UNSIGNED_LONG_LONG", MPI_UNSIGNED_LONG_LONG, "Q", 'Q'},
    {"FLOAT", MPI_FLOAT, "f", 'f'},
    {"DOUBLE", MPI_DOUBLE, "d", 'd'},
    {"LONG_DOUBLE", MPI_LONG_DOUBLE, "g", 'g'},
    {"C_BOOL", MPI_C_BOOL, "b1", '?'},
    {"INT8_T", MPI_INT8_T, "i1", int_char(1)},
    {"INT16_T", MPI_INT16_T, "i2", int_char(2)},
    {"INT32_T", MPI_INT32_T, "i4", int_char(4)},
    {"INT64_T", MPI_INT64_T, "i8", int_char(8)},
    {"UINT8_T", MPI_UINT8_T, "u1", uint_char(1)},
    {"UINT16_T", MPI_UINT16_T, "u2", uint_char(2)},
    {"UINT32_T", MPI_UINT32_T, "u4", uint_char(4)},
    {"UINT64_T", MPI_UINT64_T, "u8", uint_char(8)},
    {"FLOAT16_T", MPIPY_FLOAT16, "e", 'e'},
    {"BFLOAT16_T", MPIPY_BFLOAT16, nullptr, 'V'},
    {"C_COMPLEX", MPI_C_COMPLEX, "F", 'F'},
    {"C_FLOAT_COMPLEX", MPI_C_FLOAT_COMPLEX, "F", 'F'},
    {"C_DOUBLE_COMPLEX", MPI_C_DOUBLE_COMPLEX, "D", 'D'},
    {"C_LONG_DOUBLE_COMPLEX", MPI_C_LONG_DOUBLE_COMPLEX, "G", 'G'},
    {"CXX_BOOL", MPI_CXX_BOOL, "?", '?'},
    {"CXX_FLOAT_COMPLEX", MPI_CXX_FLOAT_COMPLEX, "F", 'F'},
    {"CXX_DOUBLE_COMPLEX", MPI_CXX_DOUBLE_COMPLEX, "D", 'D'},
    {"CXX_LONG_DOUBLE_COMPLEX", MPI_CXX_LONG_DOUBLE_COMPLEX, "G", 'G'},
    {"SHORT_INT", MPI_SHORT_INT, nullptr, 'V'},
    {"INT_INT", MPI_2INT, nullptr, 'V'},
    {"LONG_INT", MPI_LONG_INT, nullptr, 'V'},
    {"FLOAT_INT", MPI_FLOAT_INT, nullptr, 'V'},
    {"DOUBLE_INT", MPI_DOUBLE_INT, nullptr, 'V'},
    {"LONG_DOUBLE_INT", MPI_LONG_DOUBLE_INT, nullptr, 'V'},
    {"CHARACTER", MPI_CHARACTER, "c", 'c'},
    // Fortran LOGICAL travels as a Fortran INTEGER of the same size (as in mpi4py).
    {"LOGICAL", MPI_LOGICAL, "i", 'i'},
    {"INTEGER", MPI_INTEGER, "i", 'i'},
    {"REAL", MPI_REAL, "f", 'f'},
    {"DOUBLE_PRECISION", MPI_DOUBLE_PRECISION, "d", 'd'},
    {"COMPLEX", MPI_COMPLEX, "F", 'F'},
    {"DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX, "D", 'D'},
    {"LOGICAL1", MPI_LOGICAL1, "b1", '?'},
    {"LOGICAL2", MPI_LOGICAL2, "i2", int_char(2)},
    {"LOGICAL4", MPI_LOGICAL4, "i4", int_char(4)},
    {"LOGICAL8", MPI_LOGICAL8, "i8", int_char(8)},
    {"LOGICAL16", MPI_LOGICAL16, "i16", 'V', "i16"},
    {"INTEGER1", MPI_INTEGER1, "i1", int_char(1)},
    {"INTEGER2", MPI_INTEGER2, "i2", int_char(2)},
    {"INTEGER4", MPI_INTEGER4, "i4", int_char(4)},
    {"INTEGER8", MPI_INTEGER8, "i8", int_char(8)},
    {"INTEGER16", MPI_INTEGER16, "i16", 'V', "i16"},
    {"REAL2", MPI_REAL2, "f2", real_char(2)},
    {"REAL4", MPI_REAL4, "f4", real_char(4)},
    {"REAL8", MPI_REAL8, "f8", real_char(8)},
    {"REAL16", MPI_REAL16, "f16", real_char(16)},
    {"COMPLEX4", MPI_COMPLEX4, "c4", 'E'},
    {"COMPLEX8", MPI_COMPLEX8, "c8", complex_char(8)},
    {"COMPLEX16", MPI_COMPLEX16, "c16", complex_char(16)},
    {"COMPLEX32", MPI_COMPLEX32, "c32", complex_char(32)},
    // mpi4py's aliases.
    {"UNSIGNED_INT", MPI_UNSIGNED, "I", 'I'},
    {"SIGNED_SHORT", MPI_SHORT, "h", 'h'},
    {"SIGNED_INT", MPI_INT, "i", 'i'},
    {"SIGNED_LONG", MPI_LONG, "l", 'l'},
    {"SIGNED_LONG_LONG", MPI_LONG_LONG, "q", 'q'},
    {"BOOL", MPI_C_BOOL, "b1", '?'},
    {"SINT8_T", MPI_INT8_T, "i1", int_char(1)},
    {"SINT16_T", MPI_INT16_T, "i2", int_char(2)},
    {"SINT32_T", MPI_INT32_T, "i4", int_char(4)},
    {"SINT64_T", MPI_INT64_T, "i8", int_char(8)},
    {"FLOAT32_T", MPI_FLOAT, "f", 'f'},
    {"FLOAT64_T", MPI_DOUBLE, "d", 'd'},
    {"F_BOOL", MPI_LOGICAL, "i", 'i'},
    {"F_INT", MPI_INTEGER, "i", 'i'},
    {"F_FLOAT", MPI_REAL, "f", 'f'},
    {"F_DOUBLE", MPI_DOUBLE_PRECISION, "d", 'd'},
    {"F_COMPLEX", MPI_COMPLEX, "F", 'F'},
    {"F_FLOAT_COMPLEX", MPI_COMPLEX, "F", 'F'},
    {"F_DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX, "D", 'D'},
    {"TWOINT", MPI_2INT, nullptr, 'V'},
};

// Codes understood by fromcode() and by the buffer-format mapping: struct-module characters,
// NumPy's kind+size type strings, and the formats NumPy and array.array export.
struct CodeEntry {
    const char *code;
    MPI_Datatype type;
};
const CodeEntry code_entries[] = {
    // struct-module characters, native sizes.
    {"?", MPI_C_BOOL},
    {"c", MPI_CHAR},
    {"b", MPI_SIGNED_CHAR},
    {"B", MPI_UNSIGNED_CHAR},
    {"h", MPI_SHORT},
    {"H", MPI_UNSIGNED_SHORT},
    {"i", MPI_INT},
    {"I", MPI_UNSIGNED},
    {"l", MPI_LONG},
    {"L", MPI_UNSIGNED_LONG},
    {"q", MPI_LONG_LONG},
    {"Q", MPI_UNSIGNED_LONG_LONG},
    {"n", sizeof(MPI_Count) == sizeof(Py_ssize_t) ? MPI_COUNT : MPI_AINT},
    {"N", sizeof(size_t) == sizeof(unsigned long) ? MPI_UNSIGNED_LONG : MPI_UNSIGNED_LONG_LONG},
    {"p", MPI_AINT},
    {"P", sizeof(void *) == sizeof(unsigned long) ? MPI_UNSIGNED_LONG : MPI_UNSIGNED_LONG_LONG},
    {"e", MPIPY_FLOAT16},
    {"f", MPI_FLOAT},
    {"d", MPI_DOUBLE},
    {"g", MPI_LONG_DOUBLE},
    {"F", MPI_C_FLOAT_COMPLEX},
    {"D", MPI_C_DOUBLE_COMPLEX},
    {"G", MPI_C_LONG_DOUBLE_COMPLEX},
    {"E", MPI_COMPLEX4},  // complex of two halves (mpi4py's code)
    // NumPy's complex formats, byte strings, unicode strings, datetimes.
    {"Ze", MPI_COMPLEX4},
    {"Zf", MPI_C_FLOAT_COMPLEX},
    {"Zd", MPI_C_DOUBLE_COMPLEX},
    {"Zg", MPI_C_LONG_DOUBLE_COMPLEX},
    {"s", MPI_CHAR},
    {"1s", MPI_CHAR},
    {"S", MPI_CHAR},
    {"S1", MPI_CHAR},
    {"a", MPI_CHAR},
    {"U", MPI_WCHAR},
    {"U1", MPI_WCHAR},
    {"w", MPI_WCHAR},
    {"1w", MPI_WCHAR},
    {"u", MPI_UINT16_T},
    {"1u", MPI_UINT16_T},
    {"M", MPI_INT64_T},
    {"M8", MPI_INT64_T},
    {"m", MPI_INT64_T},
    {"m8", MPI_INT64_T},
    // NumPy type strings.
    {"b1", MPI_C_BOOL},
    {"i1", MPI_INT8_T},
    {"i2", MPI_INT16_T},
    {"i4", MPI_INT32_T},
    {"i8", MPI_INT64_T},
    {"i16", MPI_INTEGER16},
    {"u1", MPI_UINT8_T},
    {"u2", MPI_UINT16_T},
    {"u4", MPI_UINT32_T},
    {"u8", MPI_UINT64_T},
    {"f2", MPIPY_FLOAT16},
    {"f4", MPI_FLOAT},
    {"f8", MPI_DOUBLE},
    {sizeof(long double) == 16 ? "f16" : "f12", MPI_LONG_DOUBLE},
    {"c4", MPI_COMPLEX4},
    {"c8", MPI_C_FLOAT_COMPLEX},
    {"c16", MPI_C_DOUBLE_COMPLEX},
    {sizeof(long double) == 16 ? "c32" : "c24", MPI_C_LONG_DOUBLE_COMPLEX},
};

std::unordered_map<std::string, MPI_Datatype> &code_table() {
    static std::unordered_map<std::string, MPI_Datatype> table;
    return table;
}
std::unordered_map<std::intptr_t, const Predefined *> &predefined_by_handle() {
    static std::unordered_map<std::intptr_t, const Predefined *> entries;
    return entries;
}

// Single-character native formats resolve by array index: the hot path of every
// uppercase call that infers its datatype.
std::array<MPI_Datatype, 128> single_char_types;

void build_code_tables() {
    single_char_types.fill(MPI_DATATYPE_NULL);
    for (const auto &e : code_entries) {
        if (e.type == MPI_DATATYPE_NULL) continue;  // this MPI lacks the type
        code_table().emplace(e.code, e.type);
        if (e.code[0] && !e.code[1])
            single_char_types[static_cast<unsigned char>(e.code[0])] = e.type;
    }
    for (const auto &p : predefined_types)
        if (p.type != MPI_DATATYPE_NULL) predefined_by_handle().emplace(handle_to_int(p.type), &p);
}

// Datatype for a struct-module format in standard-size mode ('<', '>', '=', '!' prefixes),
// where sizes are fixed by the format rather than by the platform's C types.
MPI_Datatype standard_size_type(char c) {
    switch (c) {
    case 'b':
        return MPI_INT8_T;
    case 'B':
        return MPI_UINT8_T;
    case 'h':
        return MPI_INT16_T;
    case 'H':
        return MPI_UINT16_T;
    case 'i':
    case 'l':
        return MPI_INT32_T;
    case 'I':
    case 'L':
        return MPI_UINT32_T;
    case 'q':
        return MPI_INT64_T;
    case 'Q':
        return MPI_UINT64_T;
    case 'e':
        return MPIPY_FLOAT16;
    case 'f':
        return MPI_FLOAT;
    case 'd':
        return MPI_DOUBLE;
    case '?':
        return MPI_C_BOOL;
    case 'c':
    case 's':
        return MPI_CHAR;
    default:
        return MPI_DATATYPE_NULL;
    }
}

bool host_is_little_endian() {
    const std::uint16_t one = 1;
    return *reinterpret_cast<const unsigned char *>(&one) == 1;
}

}  // namespace

MPI_Datatype datatype_for_format(const char *format) {
    if (!format) return MPI_BYTE;  // no format: unsigned bytes
    unsigned char c0 = static_cast<unsigned char>(format[0]);
    if (c0 < 128 && c0 != 0 && format[1] == 0) return single_char_types[c0];
    const char *code = format;
    bool standard = false;
    switch (*code) {
    case '@':
        ++code;
        break;
    case '=':
        ++code, standard = true;
        break;
    case '<':
        ++code, standard = true;
        if (!host_is_little_endian()) return MPI_DATATYPE_NULL;
        break;
    case '>':
    case '!':
        ++code, standard = true;
        if (host_is_little_endian()) return MPI_DATATYPE_NULL;
        break;
    default:
        break;
    }
    if (standard && code[0] && !code[1]) return standard_size_type(code[0]);
    auto it = code_table().find(code);
    return it == code_table().end() ? MPI_DATATYPE_NULL : it->second;
}

namespace {

struct Extent {
    MPI_Count lb, extent;
};
// The large-count (MPI-4 `_c`) queries where this MPI has them, else the MPI-3 `_x` ones.
#if MPIPY_HAVE_LARGE_COUNT
#define MPIPY_TYPE_QUERY(fn) fn##_c
#else
#define MPIPY_TYPE_QUERY(fn) fn##_x
#endif
Extent extent_of(MPI_Datatype t) {
    MPI_Count lb = 0, extent = 0;
    check(MPIPY_TYPE_QUERY(MPI_Type_get_extent)(t, &lb, &extent));
    return {lb, extent};
}
Extent true_extent_of(MPI_Datatype t) {
    MPI_Count lb = 0, extent = 0;
    check(MPIPY_TYPE_QUERY(MPI_Type_get_true_extent)(t, &lb, &extent));
    return {lb, extent};
}
MPI_Count size_of(MPI_Datatype t) {
    MPI_Count size = 0;
    check(MPIPY_TYPE_QUERY(MPI_Type_size)(t, &size));
    return size;
}
#undef MPIPY_TYPE_QUERY

// A datatype handle that MPI_Type_get_contents returned, freed on scope exit unless named.
struct ContentsType {
    MPI_Datatype type = MPI_DATATYPE_NULL;
    ~ContentsType() {
        int combiner = MPI_COMBINER_NAMED;
        if (type != MPI_DATATYPE_NULL && query_combiner(type, combiner) == MPI_SUCCESS &&
            !combiner_is_predefined(combiner))
            MPI_Type_free(&type);
    }
};

// NumPy-style type string from a typechar: kind letter and the size of the C type.
std::string typestr_of(char typechar, MPI_Datatype t) {
    auto sized = [](char kind, std::size_t size) { return kind + std::to_string(size); };
    switch (typechar) {
    case '?':
        return "b1";
    case 'c':
        return "S1";
    case 'U':
        return "U1";
    case 'b':
        return sized('i', sizeof(signed char));
    case 'h':
        return sized('i', sizeof(short));
    case 'i':
        return sized('i', sizeof(int));
    case 'l':
        return sized('i', sizeof(long));
    case 'q':
        return sized('i', sizeof(long long));
    case 'p':
        return sized('i', sizeof(MPI_Aint));
    case 'B':
        return sized('u', sizeof(unsigned char));
    case 'H':
        return sized('u', sizeof(unsigned short));
    case 'I':
        return sized('u', sizeof(unsigned));
    case 'L':
        return sized('u', sizeof(unsigned long));
    case 'Q':
        return sized('u', sizeof(unsigned long long));
    case 'e':
        return "f2";
    case 'f':
        return sized('f', sizeof(float));
    case 'd':
        return sized('f', sizeof(double));
    case 'g':
        return sized('f', sizeof(long double));
    case 'F':
        return sized('c', 2 * sizeof(float));
    case 'D':
        return sized('c', 2 * sizeof(double));
    case 'G':
        return sized('c', 2 * sizeof(long double));
    case 'E':
        return "c4";
    default: {
        std::string code = std::to_string(extent_of(t).extent);
        return code.insert(0, 1, 'V');  // not "V" + ...: GCC 12 -O3 warns falsely on that
    }
    }
}

// What tocode, typechar and typestr say of a datatype: from its predefined entry, through a
// chain of Dups; for a Fortran 90 parameterized datatype from its kind and size (as mpi4py).
struct TypeCodes {
    std::string code;  // empty: none
    char typechar;
    std::string typestr;
};

TypeCodes type_codes(MPI_Datatype t) {
    if (auto it = predefined_by_handle().find(handle_to_int(t));
        it != predefined_by_handle().end()) {
        const Predefined &p = *it->second;
        return {p.code ? p.code : "", p.typechar,
                p.typestr ? p.typestr : typestr_of(p.typechar, t)};
    }
    const int combiner = combiner_of(t);
    if (combiner == MPI_COMBINER_DUP) {
        int ints[1];
        MPI_Aint addrs[1];
        ContentsType inner;
#if MPIPY_HAVE_LARGE_COUNT
        MPI_Count counts[1];
        check(MPI_Type_get_contents_c(t, 0, 0, 0, 1, ints, addrs, counts, &inner.type));
#else
        check(MPI_Type_get_contents(t, 0, 0, 1, ints, addrs, &inner.type));
#endif
        return type_codes(inner.type);
    }
    const std::size_t size = static_cast<std::size_t>(size_of(t));
    auto f90 = [&](char kind, char typechar) {
        std::string code = kind + std::to_string(size);
        return TypeCodes{code, typechar, code};
    };
    switch (combiner) {
    case MPI_COMBINER_F90_INTEGER:
        return f90('i', int_char(size));
    case MPI_COMBINER_F90_REAL:
        return f90('f', real_char(size));
    case MPI_COMBINER_F90_COMPLEX:
        return f90('c', complex_char(size));
    default:
        return {"", 'V', typestr_of('V', t)};
    }
}

// MPI._typealign: the alignment of the C type a datatype stands for (its typechar's; that of
// the C struct of a pair type; 16 for the 16-byte Fortran types), 0 when there is none (derived
// datatypes, MPI_DATATYPE_NULL).
template <class A, class B> struct Pair {
    A a;
    B b;
};

std::size_t type_alignment(MPI_Datatype t) {
    if (t == MPI_DATATYPE_NULL) return 0;
    for (MPI_Datatype wide : {MPI_LOGICAL16, MPI_INTEGER16, MPI_REAL16, MPI_COMPLEX32})
        if (wide != MPI_DATATYPE_NULL && t == wide) return 16;
    switch (type_codes(t).typechar) {
    case '?':
        return alignof(bool);
    case 'c':
    case 'b':
    case 'B':
        return alignof(char);
    case 'U':
        return alignof(wchar_t);
    case 'h':
    case 'H':
        return alignof(short);
    case 'i':
    case 'I':
        return alignof(int);
    case 'l':
    case 'L':
        return alignof(long);
    case 'q':
    case 'Q':
        return alignof(long long);
    case 'p':
    case 'P':
        return alignof(MPI_Aint);
    case 'e':
    case 'E':
        return 2;  // half-precision real, and complex of two
    case 'f':
    case 'F':
        return alignof(float);
    case 'd':
    case 'D':
        return alignof(double);
    case 'g':
    case 'G':
        return alignof(long double);
    default:
        break;
    }
    if (t == MPI_SHORT_INT) return alignof(Pair<short, int>);
    if (t == MPI_2INT) return alignof(Pair<int, int>);
    if (t == MPI_LONG_INT) return alignof(Pair<long, int>);
    if (t == MPI_FLOAT_INT) return alignof(Pair<float, int>);
    if (t == MPI_DOUBLE_INT) return alignof(Pair<double, int>);
    if (t == MPI_LONG_DOUBLE_INT) return alignof(Pair<long double, int>);
    return 0;
}

// The module constant holding a predefined datatype (MPI.INT for MPI_INT, ...).
nb::handle constant_of_handle;
nb::object predefined_object(MPI_Datatype t) {
    nb::handle obj = PyDict_GetItem(constant_of_handle.ptr(), nb::int_(handle_to_int(t)).ptr());
    if (obj) return nb::borrow(obj);
    nb::object fresh = new_handle<Datatype>(t);  // not expected: every code maps to a constant
    nb::inst_ptr<Datatype>(fresh)->predefined = true;
    return fresh;
}

// Free() refuses every predefined datatype (named or Fortran 90 parameterized), however the
// handle was obtained: MPI forbids freeing them and some MPIs do not check.
void check_freeable(const Datatype &self, MPI_Datatype t) {
    if (self.predefined || combiner_is_predefined(combiner_of(t))) throw MpiError{MPI_ERR_TYPE};
}

}  // namespace

int query_combiner(MPI_Datatype t, int &combiner) {
    // MPICH refuses the classic envelope query on datatypes made by large-count constructors.
#if MPIPY_HAVE_LARGE_COUNT
    MPI_Count ni = 0, na = 0, nc = 0, nd = 0;
    return MPI_Type_get_envelope_c(t, &ni, &na, &nc, &nd, &combiner);
#else
    int ni = 0, na = 0, nd = 0;
    return MPI_Type_get_envelope(t, &ni, &na, &nd, &combiner);
#endif
}

int combiner_of(MPI_Datatype t) {
    int combiner = MPI_UNDEFINED;
    check(query_combiner(t, combiner));
    return combiner;
}

// Named, Fortran 90 parameterized, and (MPI-4.1) value-index datatypes: MPI's own, never freed.
bool combiner_is_predefined(int combiner) {
#ifdef MPIPY_HAVE_MPI_COMBINER_VALUE_INDEX
    if (combiner == MPI_COMBINER_VALUE_INDEX) return true;
#endif
    return combiner == MPI_COMBINER_NAMED || combiner == MPI_COMBINER_F90_INTEGER ||
           combiner == MPI_COMBINER_F90_REAL || combiner == MPI_COMBINER_F90_COMPLEX;
}

namespace {
std::unordered_set<std::intptr_t> uncommitted;
}

void note_uncommitted(MPI_Datatype t) { uncommitted.insert(handle_to_int(t)); }
void forget_uncommitted(MPI_Datatype t) {
    if (!uncommitted.empty()) uncommitted.erase(handle_to_int(t));
}
bool is_uncommitted(MPI_Datatype t) {
    return !uncommitted.empty() && uncommitted.count(handle_to_int(t)) != 0;
}
void require_committed(MPI_Datatype t) {
    if (is_uncommitted(t)) [[unlikely]]
        throw MpiError{MPI_ERR_TYPE};
    FreedHandles<DatatypeKind>::check(t);
}

nb::object datatype_object(MPI_Datatype t) {
    if (t == MPI_DATATYPE_NULL || combiner_of(t) == MPI_COMBINER_NAMED) {
        PyObject *obj = PyDict_GetItem(constant_of_handle.ptr(), nb::int_(handle_to_int(t)).ptr());
        if (obj) return nb::borrow(obj);
    }
    return new_handle<Datatype>(t);
}

nb::class_<Datatype> bind_datatype(nb::module_ &m) {
    build_code_tables();

    nb::class_<Datatype> cls(m, "Datatype", nb::is_weak_referenceable(), "Datatype object.");
    bind_handle_protocol(cls);
    cls.def(
           "Get_size", [](const Datatype &self) { return size_of(self.get()); },
           "Return the number of bytes occupied by entries in the datatype.")
        .def_prop_ro(
            "size", [](const Datatype &self) { return size_of(self.get()); }, "Size (in bytes).")
        .def(
            "Get_extent",
            [](const Datatype &self) {
                Extent e = extent_of(self.get());
                return std::make_tuple(e.lb, e.extent);
            },
            "Return lower bound and extent of datatype.")
        .def_prop_ro(
            "extent", [](const Datatype &self) { return extent_of(self.get()).extent; }, "Extent.")
        .def_prop_ro(
            "lb", [](const Datatype &self) { return extent_of(self.get()).lb; }, "Lower bound.")
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
        .def_prop_ro(
            "true_extent", [](const Datatype &self) { return true_extent_of(self.get()).extent; },
            "True extent.")
        .def_prop_ro(
            "true_lb", [](const Datatype &self) { return true_extent_of(self.get()).lb; },
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
                if (self.is_null()) return null_object_name<Datatype>();
                char name[MPI_MAX_OBJECT_NAME + 1] = {0};
                int len = 0;
                check(MPI_Type_get_name(self.get(), name, &len));
                return object_name(name, len);
            },
            "Get the print name for this datatype.")
        .def(
            "Set_name",
            [](const Datatype &self, nb::handle name) {
                MPI_Datatype t = self.get();
                check(MPI_Type_set_name(t, str_arg(name, "name").c_str()));
            },
            nb::arg("name"), "Set the print name for this datatype.")
        .def_prop_rw(
            "name", [](nb::handle self) { return self.attr("Get_name")(); },
            [](nb::handle self, nb::handle name) { self.attr("Set_name")(name); }, "Print name.")
        .def(
            "Dup",
            [](nb::handle self) {
                MPI_Datatype t = nb::inst_ptr<Datatype>(self)->get(), dup = MPI_DATATYPE_NULL;
                check(MPI_Type_dup(t, &dup));
                if (is_uncommitted(t)) note_uncommitted(dup);  // a dup keeps the state
                return new_like<Datatype>(self, dup);
            },
            "Duplicate a datatype.")
        .def(
            "Create_dup", [](nb::handle self) { return self.attr("Dup")(); },
            "Duplicate a datatype.")
        .def(
            "Commit",
            [](nb::handle self) {
                MPI_Datatype t = nb::inst_ptr<Datatype>(self)->get();
                check(MPI_Type_commit(&t));
                forget_uncommitted(t);
                return nb::borrow(self);
            },
            "Commit the datatype.")
        .def(
            "Free",
            [](Datatype &self) {
                MPI_Datatype t = self.get();
                check_freeable(self, t);
                check(MPI_Type_free(&self.handle));
                forget_uncommitted(t);
                FreedHandles<DatatypeKind>::freed(t);
            },
            "Free the datatype.")
        .def_prop_ro(
            "combiner", [](const Datatype &self) { return combiner_of(self.get()); }, "Combiner.")
        .def_prop_ro(
            "is_named",
            [](const Datatype &self) { return combiner_of(self.get()) == MPI_COMBINER_NAMED; },
            "Is a named datatype.")
        .def_prop_ro(
            "is_predefined",
            [](const Datatype &self) {
                if (self.is_null()) return true;
                return combiner_is_predefined(combiner_of(self.get()));
            },
            "Is a predefined datatype.")
        .def(
            "tocode",
            [](const Datatype &self) {
                std::string code = self.is_null() ? "" : type_codes(self.get()).code;
                if (code.empty())
                    throw nb::value_error("cannot map to character code or type string");
                return code;
            },
            "Get character code or type string from predefined MPI datatype.")
        .def_prop_ro(
            "typechar",
            [](const Datatype &self) -> std::string {
                if (self.is_null()) return "";
                return std::string(1, type_codes(self.get()).typechar);
            },
            "Character code.")
        .def_prop_ro(
            "typestr",
            [](const Datatype &self) -> std::string {
                if (self.is_null()) return "";
                return type_codes(self.get()).typestr;
            },
            "Type string.")
        .def_static(
            "fromcode",
            [](nb::handle code) {
                std::string text = str_arg(code, "code");
                MPI_Datatype t =
                    text.empty() ? MPI_DATATYPE_NULL : datatype_for_format(text.c_str());
                if (t == MPI_DATATYPE_NULL)
                    throw nb::value_error(
                        ("cannot map code '" + text + "' to MPI datatype").c_str());
                return predefined_object(t);
            },
            nb::arg("code"), "Get predefined MPI datatype from character code or type string.");

    // Names sharing a handle (aliases, and the datatypes this MPI lacks, all null) are one
    // object, as in mpi4py: pickling restores it by its first name.
    nb::dict constants;  // handle -> module constant
    for (const auto &p : predefined_types) {
        nb::int_ key(handle_to_int(p.type));
        if (constants.contains(key)) {
            m.attr(p.name) = constants[key];
        } else {
            add_constant<Datatype>(m, p.name, p.type);
            constants[key] = m.attr(p.name);
        }
    }
    constant_of_handle = constants.release();  // lives as long as the module constants

    m.def(
        "_typecode",
        [](const Datatype &datatype) -> nb::object {
            std::string code = datatype.is_null() ? "" : type_codes(datatype.handle).code;
            return code.empty() ? nb::none() : nb::object(nb::str(code.c_str()));
        },
        nb::arg("datatype"), "Map MPI datatype to character code or type string.");
    m.def(
        "_typealign",
        [](const Datatype &datatype) -> nb::object {
            const std::size_t align = type_alignment(datatype.handle);
            return align ? nb::object(nb::int_(align)) : nb::none();
        },
        nb::arg("datatype"), "Return MPI datatype alignment.");

    nb::dict typedict;
    for (const auto &[code, type] : code_table()) typedict[code.c_str()] = predefined_object(type);
    m.attr("_typedict") = typedict;
    return cls;
}

}  // namespace mpipy
