// Derived datatypes: every constructor (contiguous, vector, indexed, struct, subarray, darray,
// resized, Fortran 90 parameterized) and the introspection of a datatype (envelope, contents,
// decode). Arguments are checked before MPI sees them, so that bad input raises instead of
// depending on how thoroughly the MPI library validates.
#include "core/objects.hpp"

#include <cctype>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace mpipy {

namespace {

// Count and displacement types of the constructors: MPI-4 large-count `_c` functions take
// MPI_Count everywhere; the classic ones take int (items) and MPI_Aint (bytes).
#if MPIPY_HAVE_LARGE_COUNT
using count_t = MPI_Count;  // counts, block lengths, and strides/displacements in items
using bytes_t = MPI_Count;  // strides, displacements and bounds in bytes
#define MPIPY_TYPE_C(fn) fn##_c
#else
using count_t = int;
using bytes_t = MPI_Aint;
#define MPIPY_TYPE_C(fn) fn
#endif

// A Python integer (or anything with __index__) as T: TypeError for other objects,
// OverflowError beyond T's range.
template <class T> T to_int(nb::handle obj, const char *what) {
    const long long value = index_arg(obj, what);
    if (value < static_cast<long long>(std::numeric_limits<T>::min()) ||
        value > static_cast<long long>(std::numeric_limits<T>::max()))
        raise_error(PyExc_OverflowError, std::string(what) + " is out of range");
    return static_cast<T>(value);
}

// Any iterable of integers as a vector of T.
template <class T> std::vector<T> to_ints(nb::handle seq, const char *what) {
    nb::object fast = nb::steal(PySequence_Fast(seq.ptr(), ""));
    if (!fast.is_valid()) {
        PyErr_Clear();
        raise_error(PyExc_TypeError, std::string(what) + " must be a sequence of integers, not " +
                                         nb::type_name(seq.type()).c_str());
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    PyObject **items = PySequence_Fast_ITEMS(fast.ptr());
    std::vector<T> out(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = to_int<T>(items[i], what);
    return out;
}

std::vector<MPI_Datatype> to_datatypes(nb::handle seq) {
    nb::object fast = nb::steal(PySequence_Fast(seq.ptr(), ""));
    if (!fast.is_valid()) {
        PyErr_Clear();
        raise_error(PyExc_TypeError, "datatypes must be a sequence of Datatype");
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    PyObject **items = PySequence_Fast_ITEMS(fast.ptr());
    std::vector<MPI_Datatype> out;
    out.reserve(static_cast<size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (!nb::isinstance<Datatype>(items[i]))
            raise_error(PyExc_TypeError, std::string("datatypes must hold Datatype objects, not ") +
                                             nb::type_name(Py_TYPE(items[i])).c_str());
        out.push_back(nb::inst_ptr<Datatype>(items[i])->get());
    }
    return out;
}

template <class A, class B> void same_length(const A &a, const B &b) {
    if (a.size() != b.size())
        raise_error(PyExc_ValueError, "expecting " + std::to_string(a.size()) + " items, got " +
                                          std::to_string(b.size()));
}

// The number of entries of an argument array, as the MPI call takes it.
template <class V> count_t length_of(const V &v) {
    if (v.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
        raise_error(PyExc_OverflowError, "too many items");
    return static_cast<count_t>(v.size());
}

// Negative counts and block lengths are MPI errors; raised here, before MPI is called.
template <class T> void nonnegative(T value, int error_class) {
    if (value < 0) throw MpiError{error_class};
}
template <class T> void nonnegative(const std::vector<T> &values, int error_class) {
    for (T v : values) nonnegative(v, error_class);
}

void check_order(int order) {
    if (order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN) throw MpiError{MPI_ERR_ARG};
}

// The new datatype as an object of the class of `self` (subclasses preserved).
nb::object result_like(nb::handle self, MPI_Datatype t) {
    note_uncommitted(t);
    return new_like<Datatype>(self, t);
}

const Datatype &base_of(nb::handle self) { return *nb::inst_ptr<Datatype>(self); }

// ---------------------------------------------------------------------------------------------
// Introspection.

struct Envelope {
    MPI_Count ni = 0, na = 0, nc = 0, nd = 0;
    int combiner = MPI_UNDEFINED;
};

Envelope envelope_of(MPI_Datatype t) {
    Envelope e;
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Type_get_envelope_c(t, &e.ni, &e.na, &e.nc, &e.nd, &e.combiner));
#else
    int ni = 0, na = 0, nd = 0;
    check(MPI_Type_get_envelope(t, &ni, &na, &nd, &e.combiner));
    e.ni = ni, e.na = na, e.nd = nd;
#endif
    return e;
}

struct Contents {
    Envelope env;
    std::vector<int> ints;
    std::vector<MPI_Aint> addrs;
    std::vector<MPI_Count> counts;
    std::vector<MPI_Datatype> types;
};

// MPI's description of how t was made. The datatypes it names are new references the caller
// owns (derived ones must be freed; named ones need not be).
Contents contents_of(MPI_Datatype t) {
    Contents c;
    c.env = envelope_of(t);
    // MPI forbids asking for the contents of a named datatype (some MPIs do not check).
    if (c.env.combiner == MPI_COMBINER_NAMED) throw MpiError{MPI_ERR_TYPE};
    c.ints.resize(static_cast<size_t>(c.env.ni));
    c.addrs.resize(static_cast<size_t>(c.env.na));
    c.counts.resize(static_cast<size_t>(c.env.nc));
    c.types.resize(static_cast<size_t>(c.env.nd));
#if MPIPY_HAVE_LARGE_COUNT
    check(MPI_Type_get_contents_c(t, c.env.ni, c.env.na, c.env.nc, c.env.nd, c.ints.data(),
                                  c.addrs.data(), c.counts.data(), c.types.data()));
#else
    check(MPI_Type_get_contents(t, static_cast<int>(c.env.ni), static_cast<int>(c.env.na),
                                static_cast<int>(c.env.nd), c.ints.data(), c.addrs.data(),
                                c.types.data()));
#endif
    return c;
}

nb::list datatype_list(const std::vector<MPI_Datatype> &types) {
    nb::list out;
    for (MPI_Datatype d : types) out.append(datatype_object(d));
    return out;
}

template <class T> nb::list int_list(const T *values, size_t n) {
    nb::list out;
    for (size_t i = 0; i < n; ++i) out.append(nb::int_(values[i]));
    return out;
}

// Reads the constructor arguments back from a Contents in the order of the MPI standard's
// table. An integer argument is always in the ints array; a count (or a displacement in
// items) is in the large-count array when MPI used it (datatypes made by `_c` functions, or
// all datatypes in some MPIs), else in ints; a byte displacement is in the large-count array
// when MPI used it, else in the address array.
class ContentsReader {
  public:
    explicit ContentsReader(const Contents &c) : c_(c), large_(!c.counts.empty()) {}
    MPI_Count integer() { return take(c_.ints, i_); }
    MPI_Count count() { return large_ ? take(c_.counts, c_i_) : take(c_.ints, i_); }
    MPI_Count bytes() { return large_ ? take(c_.counts, c_i_) : take(c_.addrs, a_); }
    nb::list integers(MPI_Count n) { return list_of(n, &ContentsReader::integer); }
    nb::list counts(MPI_Count n) { return list_of(n, &ContentsReader::count); }
    nb::list bytes_list(MPI_Count n) { return list_of(n, &ContentsReader::bytes); }

  private:
    template <class V> MPI_Count take(const V &v, size_t &i) {
        if (i >= v.size()) throw std::runtime_error("datatype contents are shorter than expected");
        return static_cast<MPI_Count>(v[i++]);
    }
    nb::list list_of(MPI_Count n, MPI_Count (ContentsReader::*read)()) {
        nb::list out;
        for (MPI_Count k = 0; k < n; ++k) out.append(nb::int_((this->*read)()));
        return out;
    }
    const Contents &c_;
    bool large_;
    size_t i_ = 0, a_ = 0, c_i_ = 0;
};

const char *combiner_name(int combiner) {
    switch (combiner) {
    case MPI_COMBINER_NAMED:
        return "NAMED";
    case MPI_COMBINER_DUP:
        return "DUP";
    case MPI_COMBINER_CONTIGUOUS:
        return "CONTIGUOUS";
    case MPI_COMBINER_VECTOR:
        return "VECTOR";
    case MPI_COMBINER_HVECTOR:
        return "HVECTOR";
    case MPI_COMBINER_INDEXED:
        return "INDEXED";
    case MPI_COMBINER_HINDEXED:
        return "HINDEXED";
    case MPI_COMBINER_INDEXED_BLOCK:
        return "INDEXED_BLOCK";
    case MPI_COMBINER_HINDEXED_BLOCK:
        return "HINDEXED_BLOCK";
    case MPI_COMBINER_STRUCT:
        return "STRUCT";
    case MPI_COMBINER_SUBARRAY:
        return "SUBARRAY";
    case MPI_COMBINER_DARRAY:
        return "DARRAY";
    case MPI_COMBINER_RESIZED:
        return "RESIZED";
    case MPI_COMBINER_F90_INTEGER:
        return "F90_INTEGER";
    case MPI_COMBINER_F90_REAL:
        return "F90_REAL";
    case MPI_COMBINER_F90_COMPLEX:
        return "F90_COMPLEX";
#ifdef MPIPY_HAVE_MPI_COMBINER_VALUE_INDEX
    case MPI_COMBINER_VALUE_INDEX:
        return "VALUE_INDEX";
#endif
    default:
        return nullptr;
    }
}

// decode(): (base datatype, combiner name, constructor arguments), as mpi4py gives them. The
// base is the one datatype among the contents (the datatype the constructor was applied to;
// for a struct of one datatype, that one, also listed in the arguments), DATATYPE_NULL where
// there are none or several (Fortran 90, VALUE_INDEX, struct), the datatype itself if named.
nb::tuple decode(nb::handle self) {
    MPI_Datatype t = base_of(self).get();
    const int combiner = combiner_of(t);
    const char *name = combiner_name(combiner);
    if (!name) throw std::runtime_error("unknown datatype combiner " + std::to_string(combiner));
    if (combiner == MPI_COMBINER_NAMED) return nb::make_tuple(self, name, nb::dict());
    Contents c = contents_of(t);
    nb::list types = datatype_list(c.types);  // owns the returned handles from here on
    ContentsReader r(c);
    nb::dict p;
    nb::object base = types.size() == 1 ? nb::object(types[0]) : datatype_object(MPI_DATATYPE_NULL);
    switch (combiner) {
    case MPI_COMBINER_DUP:
        break;
    case MPI_COMBINER_CONTIGUOUS:
        p["count"] = r.count();
        break;
    case MPI_COMBINER_VECTOR:
    case MPI_COMBINER_HVECTOR:
        p["count"] = r.count();
        p["blocklength"] = r.count();
        p["stride"] = combiner == MPI_COMBINER_VECTOR ? r.count() : r.bytes();
        break;
    case MPI_COMBINER_INDEXED:
    case MPI_COMBINER_HINDEXED: {
        const MPI_Count n = r.count();
        p["blocklengths"] = r.counts(n);
        p["displacements"] = combiner == MPI_COMBINER_INDEXED ? r.counts(n) : r.bytes_list(n);
        break;
    }
    case MPI_COMBINER_INDEXED_BLOCK:
    case MPI_COMBINER_HINDEXED_BLOCK: {
        const MPI_Count n = r.count();
        p["blocklength"] = r.count();
        p["displacements"] = combiner == MPI_COMBINER_INDEXED_BLOCK ? r.counts(n) : r.bytes_list(n);
        break;
    }
    case MPI_COMBINER_STRUCT: {
        const MPI_Count n = r.count();
        p["blocklengths"] = r.counts(n);
        p["displacements"] = r.bytes_list(n);
        p["datatypes"] = types;
        break;
    }
    case MPI_COMBINER_SUBARRAY: {
        const MPI_Count ndims = r.integer();
        p["sizes"] = r.counts(ndims);
        p["subsizes"] = r.counts(ndims);
        p["starts"] = r.counts(ndims);
        p["order"] = r.integer();
        break;
    }
    case MPI_COMBINER_DARRAY: {
        p["size"] = r.integer();
        p["rank"] = r.integer();
        const MPI_Count ndims = r.integer();
        p["gsizes"] = r.counts(ndims);
        p["distribs"] = r.integers(ndims);
        p["dargs"] = r.integers(ndims);
        p["psizes"] = r.integers(ndims);
        p["order"] = r.integer();
        break;
    }
    case MPI_COMBINER_RESIZED:
        p["lb"] = r.bytes();
        p["extent"] = r.bytes();
        break;
    case MPI_COMBINER_F90_INTEGER:
        p["r"] = r.integer();
        break;
    case MPI_COMBINER_F90_REAL:
    case MPI_COMBINER_F90_COMPLEX:
        p["p"] = r.integer();
        p["r"] = r.integer();
        break;
#ifdef MPIPY_HAVE_MPI_COMBINER_VALUE_INDEX
    case MPI_COMBINER_VALUE_INDEX:
        p["value"] = types[0];
        p["index"] = types[1];
        break;
#endif
    default:
        break;
    }
    return nb::make_tuple(base, name, p);
}

// ---------------------------------------------------------------------------------------------
// Pickling. A derived datatype travels as a recipe (base, combiner name, constructor arguments)
// in which the base and the datatypes among the arguments are named datatypes (pickled by name)
// or recipes themselves; the base is None where decode gives none (Fortran 90, VALUE_INDEX,
// STRUCT). The handles MPI hands out while the datatype is taken apart are freed at once,
// and those made while it is put together again once the outer one exists: unpickling makes
// one new committed datatype and leaves nothing else behind.

nb::object recipe_of(nb::handle dt);

// A datatype met while taking another apart (a new handle from MPI_Type_get_contents): a named
// one as its module constant, a derived one as its recipe (its handle freed).
nb::object ingredient(nb::handle dt) {
    Datatype &d = *nb::inst_ptr<Datatype>(dt);
    const int combiner = combiner_of(d.handle);
    if (combiner == MPI_COMBINER_NAMED) {
        if (predefined_name(DatatypeKind::name, handle_to_int(d.handle)).empty())
            throw nb::value_error("cannot serialize a datatype made of an unnamed predefined one");
        return nb::borrow(dt);  // decode gave the module constant
    }
    nb::object recipe = recipe_of(dt);
    if (!Datatype::predefined_handle(d.handle)) check(MPI_Type_free(&d.handle));
    return recipe;
}

nb::object recipe_of(nb::handle dt) {
    nb::tuple decoded = decode(dt);
    nb::handle base = decoded[0];
    nb::dict args;
    for (auto [key, value] : nb::borrow<nb::dict>(decoded[2])) {
        if (nb::isinstance<Datatype>(value)) {  // VALUE_INDEX's value and index
            args[key] = ingredient(value);
        } else if (nb::cast<std::string>(key) == "datatypes") {  // STRUCT's
            nb::list types;
            for (nb::handle t : value) types.append(ingredient(t));
            args[key] = types;
        } else {
            args[key] = value;
        }
    }
    // No base where there are none or several (a struct's one datatype is among its arguments).
    const bool no_base = nb::inst_ptr<Datatype>(base)->is_null() || args.contains("datatypes");
    return nb::make_tuple(no_base ? nb::none() : ingredient(base), decoded[1], args);
}

// Make the datatype a recipe describes; every datatype made on the way, the result last,
// is appended to `made`.
nb::object build(nb::handle recipe, std::vector<nb::object> &made) {
    if (nb::isinstance<Datatype>(recipe)) return nb::borrow(recipe);
    if (!nb::isinstance<nb::tuple>(recipe) || nb::len(recipe) != 3 ||
        !nb::isinstance<nb::str>(recipe[1]) || !nb::isinstance<nb::dict>(recipe[2]))
        throw nb::type_error("datatype recipe must be (base, combiner name, arguments)");
    nb::object base =
        recipe[0].is_none() ? nb::borrow(nb::type<Datatype>()) : build(recipe[0], made);
    nb::dict args;
    for (auto [key, value] : nb::borrow<nb::dict>(recipe[2])) {
        if (nb::cast<std::string>(key) == "datatypes") {
            nb::list types;
            for (nb::handle t : value) types.append(build(t, made));
            args[key] = types;
        } else if (nb::isinstance<nb::tuple>(value) || nb::isinstance<Datatype>(value)) {
            args[key] = build(value, made);
        } else {
            args[key] = value;
        }
    }
    std::string name = nb::cast<std::string>(recipe[1]);
    for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == "named") throw nb::value_error("a named datatype has no recipe");
    const std::string method =
        name == "dup" ? "Dup" : (name == "value_index" ? "Get_" : "Create_") + name;
    if (!nb::hasattr(base, method.c_str()))
        throw nb::value_error(("unknown datatype combiner '" + name + "'").c_str());
    nb::object empty = nb::tuple();
    nb::object result =
        nb::steal(PyObject_Call(base.attr(method.c_str()).ptr(), empty.ptr(), args.ptr()));
    if (!result.is_valid()) throw nb::python_error();
    made.push_back(result);
    return result;
}

void free_made(std::vector<nb::object> &made) {
    for (nb::handle t : made)
        if (!Datatype::predefined_handle(nb::inst_ptr<Datatype>(t)->handle)) t.attr("Free")();
    made.clear();
}

nb::object from_recipe(nb::handle recipe) {
    std::vector<nb::object> made;
    try {
        nb::object result = build(recipe, made);
        if (!made.empty() && made.back().is(result)) made.pop_back();
        if (!Datatype::predefined_handle(nb::inst_ptr<Datatype>(result)->handle))
            result.attr("Commit")();
        free_made(made);
        return result;
    } catch (...) {
        free_made(made);
        throw;
    }
}

// MPI_Type_contiguous for any count. Without MPI-4's large-count functions, a count beyond
// INT_MAX is a struct of two parts (as mpi4py makes it): a vector of count / INT_MAX blocks of
// INT_MAX items, then a contiguous run of the rest.
int contiguous(MPI_Count count, MPI_Datatype base, MPI_Datatype *out) {
#if MPIPY_HAVE_LARGE_COUNT
    return MPI_Type_contiguous_c(count, base, out);
#else
    constexpr MPI_Count chunk = std::numeric_limits<int>::max();
    if (count <= chunk) return MPI_Type_contiguous(static_cast<int>(count), base, out);
    if (count / chunk > chunk) throw nb::value_error("count is out of range");
    MPI_Aint lb = 0, extent = 0;
    int rc = MPI_Type_get_extent(base, &lb, &extent);
    if (rc != MPI_SUCCESS) return rc;
    MPI_Datatype parts[2] = {MPI_DATATYPE_NULL, MPI_DATATYPE_NULL};
    rc = MPI_Type_vector(static_cast<int>(count / chunk), static_cast<int>(chunk),
                         static_cast<int>(chunk), base, &parts[0]);
    if (rc == MPI_SUCCESS)
        rc = MPI_Type_contiguous(static_cast<int>(count % chunk), base, &parts[1]);
    if (rc == MPI_SUCCESS) {
        int lengths[2] = {1, 1};
        MPI_Aint displs[2] = {0, static_cast<MPI_Aint>(count - count % chunk) * extent};
        rc = MPI_Type_create_struct(2, lengths, displs, parts, out);
    }
    for (MPI_Datatype &part : parts)
        if (part != MPI_DATATYPE_NULL) MPI_Type_free(&part);
    return rc;
#endif
}

// The constructors that come in pairs, the h-form taking its stride or displacements in bytes
// (Offset = bytes_t) rather than in extents of the base datatype (count_t); `create` is the MPI
// function.
template <class Offset, auto create>
nb::object create_vector(nb::handle self, nb::handle count_obj, nb::handle blocklength_obj,
                         nb::handle stride_obj) {
    MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
    auto count = to_int<count_t>(count_obj, "count");
    auto blocklength = to_int<count_t>(blocklength_obj, "blocklength");
    auto stride = to_int<Offset>(stride_obj, "stride");
    nonnegative(count, MPI_ERR_COUNT);
    nonnegative(blocklength, MPI_ERR_ARG);
    check(create(count, blocklength, stride, base, &t));
    return result_like(self, t);
}

template <class Offset, auto create>
nb::object create_indexed(nb::handle self, nb::handle blocklengths_obj,
                          nb::handle displacements_obj) {
    MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
    auto blocklengths = to_ints<count_t>(blocklengths_obj, "blocklengths");
    auto displacements = to_ints<Offset>(displacements_obj, "displacements");
    same_length(blocklengths, displacements);
    nonnegative(blocklengths, MPI_ERR_ARG);
    check(create(length_of(blocklengths), blocklengths.data(), displacements.data(), base, &t));
    return result_like(self, t);
}

template <class Offset, auto create>
nb::object create_indexed_block(nb::handle self, nb::handle blocklength_obj,
                                nb::handle displacements_obj) {
    MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
    auto blocklength = to_int<count_t>(blocklength_obj, "blocklength");
    auto displacements = to_ints<Offset>(displacements_obj, "displacements");
    nonnegative(blocklength, MPI_ERR_ARG);
    check(create(length_of(displacements), blocklength, displacements.data(), base, &t));
    return result_like(self, t);
}

}  // namespace

void bind_datatype_derived(nb::module_ &, nb::class_<Datatype> &cls) {
    cls.def(
           "Create_contiguous",
           [](nb::handle self, nb::handle count_obj) {
               MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
               auto count = to_int<MPI_Count>(count_obj, "count");
               nonnegative(count, MPI_ERR_COUNT);
               check(contiguous(count, base, &t));
               return result_like(self, t);
           },
           nb::arg("count"), "Create a contiguous datatype.")
        .def("Create_vector", &create_vector<count_t, MPIPY_TYPE_C(MPI_Type_vector)>,
             nb::arg("count"), nb::arg("blocklength"), nb::arg("stride"),
             "Create a vector (strided) datatype.")
        .def("Create_hvector", &create_vector<bytes_t, MPIPY_TYPE_C(MPI_Type_create_hvector)>,
             nb::arg("count"), nb::arg("blocklength"), nb::arg("stride"),
             "Create a vector (strided) datatype with stride in bytes.")
        .def("Create_indexed", &create_indexed<count_t, MPIPY_TYPE_C(MPI_Type_indexed)>,
             nb::arg("blocklengths"), nb::arg("displacements"), "Create an indexed datatype.")
        .def("Create_hindexed", &create_indexed<bytes_t, MPIPY_TYPE_C(MPI_Type_create_hindexed)>,
             nb::arg("blocklengths"), nb::arg("displacements"),
             "Create an indexed datatype with displacements in bytes.")
        .def("Create_indexed_block",
             &create_indexed_block<count_t, MPIPY_TYPE_C(MPI_Type_create_indexed_block)>,
             nb::arg("blocklength"), nb::arg("displacements"),
             "Create an indexed datatype with constant-sized blocks.")
        .def("Create_hindexed_block",
             &create_indexed_block<bytes_t, MPIPY_TYPE_C(MPI_Type_create_hindexed_block)>,
             nb::arg("blocklength"), nb::arg("displacements"),
             "Create an indexed datatype with constant-sized blocks and displacements in bytes.")
        .def_static(
            "Create_struct",
            [](nb::handle blocklengths_obj, nb::handle displacements_obj,
               nb::handle datatypes_obj) {
                auto blocklengths = to_ints<count_t>(blocklengths_obj, "blocklengths");
                auto displacements = to_ints<bytes_t>(displacements_obj, "displacements");
                auto types = to_datatypes(datatypes_obj);
                same_length(blocklengths, displacements);
                same_length(blocklengths, types);
                nonnegative(blocklengths, MPI_ERR_ARG);
                MPI_Datatype t = MPI_DATATYPE_NULL;
                check(MPIPY_TYPE_C(MPI_Type_create_struct)(length_of(blocklengths),
                                                           blocklengths.data(),
                                                           displacements.data(), types.data(), &t));
                note_uncommitted(t);
                return new_handle<Datatype>(t);
            },
            nb::arg("blocklengths"), nb::arg("displacements"), nb::arg("datatypes"),
            "Create a general composite (struct) datatype.")
        .def(
            "Create_subarray",
            [](nb::handle self, nb::handle sizes_obj, nb::handle subsizes_obj,
               nb::handle starts_obj, int order) {
                MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
                auto sizes = to_ints<count_t>(sizes_obj, "sizes");
                auto subsizes = to_ints<count_t>(subsizes_obj, "subsizes");
                auto starts = to_ints<count_t>(starts_obj, "starts");
                same_length(sizes, subsizes);
                same_length(sizes, starts);
                check_order(order);
                // The standard's bounds (subsize <= size, 0 <= start <= size - subsize), which
                // not every MPI enforces: a violation would reach outside the array.
                if (sizes.empty()) throw MpiError{MPI_ERR_ARG};
                for (size_t i = 0; i < sizes.size(); ++i)
                    if (sizes[i] < 1 || subsizes[i] < 0 || subsizes[i] > sizes[i] ||
                        starts[i] < 0 || starts[i] > sizes[i] - subsizes[i])
                        throw MpiError{MPI_ERR_ARG};
                check(MPIPY_TYPE_C(MPI_Type_create_subarray)(static_cast<int>(length_of(sizes)),
                                                             sizes.data(), subsizes.data(),
                                                             starts.data(), order, base, &t));
                return result_like(self, t);
            },
            nb::arg("sizes"), nb::arg("subsizes"), nb::arg("starts"),
            nb::arg("order") = static_cast<int>(MPI_ORDER_C),
            "Create a datatype for a subarray of an array.")
        .def(
            "Create_darray",
            [](nb::handle self, int size, int rank, nb::handle gsizes_obj, nb::handle distribs_obj,
               nb::handle dargs_obj, nb::handle psizes_obj, int order) {
                MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
                auto gsizes = to_ints<count_t>(gsizes_obj, "gsizes");
                auto distribs = to_ints<int>(distribs_obj, "distribs");
                auto dargs = to_ints<int>(dargs_obj, "dargs");
                auto psizes = to_ints<int>(psizes_obj, "psizes");
                same_length(gsizes, distribs);
                same_length(gsizes, dargs);
                same_length(gsizes, psizes);
                check_order(order);
                if (size < 1 || rank < 0 || rank >= size || gsizes.empty())
                    throw MpiError{MPI_ERR_ARG};
                long long grid = 1;
                for (size_t i = 0; i < gsizes.size(); ++i) {
                    if (gsizes[i] < 1 || psizes[i] < 1) throw MpiError{MPI_ERR_ARG};
                    grid *= psizes[i];
                    if (grid > size) break;
                }
                if (grid != size) throw MpiError{MPI_ERR_ARG};
                check(MPIPY_TYPE_C(MPI_Type_create_darray)(
                    size, rank, static_cast<int>(length_of(gsizes)), gsizes.data(), distribs.data(),
                    dargs.data(), psizes.data(), order, base, &t));
                return result_like(self, t);
            },
            nb::arg("size"), nb::arg("rank"), nb::arg("gsizes"), nb::arg("distribs"),
            nb::arg("dargs"), nb::arg("psizes"), nb::arg("order") = static_cast<int>(MPI_ORDER_C),
            "Create a datatype for a distributed array on a Cartesian process grid.")
        .def(
            "Create_resized",
            [](nb::handle self, nb::handle lb_obj, nb::handle extent_obj) {
                MPI_Datatype base = base_of(self).get(), t = MPI_DATATYPE_NULL;
                auto lb = to_int<bytes_t>(lb_obj, "lb");
                auto extent = to_int<bytes_t>(extent_obj, "extent");
                check(MPIPY_TYPE_C(MPI_Type_create_resized)(base, lb, extent, &t));
                return result_like(self, t);
            },
            nb::arg("lb"), nb::arg("extent"),
            "Create a datatype with a new lower bound and extent.")
        .def(
            "Resized",
            [](nb::handle self, nb::handle lb, nb::handle extent) {
                return self.attr("Create_resized")(lb, extent);
            },
            nb::arg("lb"), nb::arg("extent"),
            "Create a datatype with a new lower bound and extent.")
        .def_static(
            "Create_f90_integer",
            [](int r) {
                require_active();
                MPI_Datatype t = MPI_DATATYPE_NULL;
                check(MPI_Type_create_f90_integer(r, &t));
                nb::object obj = new_handle<Datatype>(t);
                nb::inst_ptr<Datatype>(obj)->predefined = true;
                return obj;
            },
            nb::arg("r"), "Return a bounded integer datatype (Fortran 90 SELECTED_INT_KIND).")
        .def_static(
            "Create_f90_real",
            [](int p, int r) {
                require_active();
                MPI_Datatype t = MPI_DATATYPE_NULL;
                check(MPI_Type_create_f90_real(p, r, &t));
                nb::object obj = new_handle<Datatype>(t);
                nb::inst_ptr<Datatype>(obj)->predefined = true;
                return obj;
            },
            nb::arg("p"), nb::arg("r"),
            "Return a bounded real datatype (Fortran 90 SELECTED_REAL_KIND).")
        .def_static(
            "Create_f90_complex",
            [](int p, int r) {
                require_active();
                MPI_Datatype t = MPI_DATATYPE_NULL;
                check(MPI_Type_create_f90_complex(p, r, &t));
                nb::object obj = new_handle<Datatype>(t);
                nb::inst_ptr<Datatype>(obj)->predefined = true;
                return obj;
            },
            nb::arg("p"), nb::arg("r"),
            "Return a bounded complex datatype (Fortran 90 SELECTED_REAL_KIND).")
        .def_static(
            "Get_value_index",
            [](const Datatype &value, const Datatype &index) {
                MPI_Datatype t = MPI_DATATYPE_NULL;
#if MPI_VERSION > 4 || (MPI_VERSION == 4 && MPI_SUBVERSION >= 1)
                check(MPI_Type_get_value_index(value.get(), index.get(), &t));
#else
                // Before MPI-4.1, the pairs MINLOC and MAXLOC have always known: a value
                // with an int index; DATATYPE_NULL for any other (as MPI-4.1 answers them).
                const MPI_Datatype v = value.get(), i = index.get();
                const std::pair<MPI_Datatype, MPI_Datatype> pairs[] = {
                    {MPI_SHORT, MPI_SHORT_INT},   {MPI_INT, MPI_2INT},
                    {MPI_LONG, MPI_LONG_INT},     {MPI_FLOAT, MPI_FLOAT_INT},
                    {MPI_DOUBLE, MPI_DOUBLE_INT}, {MPI_LONG_DOUBLE, MPI_LONG_DOUBLE_INT}};
                for (const auto &[type, pair] : pairs)
                    if (i == MPI_INT && v == type) t = pair;
#endif
                return datatype_object(t);
            },
            nb::arg("value"), nb::arg("index"),
            "Return the datatype of (value, index) pairs, as MINLOC and MAXLOC take them.")
        .def_static(
            "Match_size",
            [](int typeclass, int size) {
                require_active();
                MPI_Datatype t = MPI_DATATYPE_NULL;
                check(MPI_Type_match_size(typeclass, size, &t));
                return datatype_object(t);
            },
            nb::arg("typeclass"), nb::arg("size"),
            "Find a datatype matching a type class and a size in bytes.")
        .def(
            "Get_envelope",
            [](const Datatype &self) {
                Envelope e = envelope_of(self.get());
                return nb::make_tuple(e.ni, e.na, e.nc, e.nd, e.combiner);
            },
            "Return (integers, addresses, large counts, datatypes, combiner): the numbers of "
            "arguments the datatype's constructor took, and the constructor.")
        .def_prop_ro(
            "envelope", [](nb::handle self) { return self.attr("Get_envelope")(); }, "Envelope.")
        .def(
            "Get_contents",
            [](const Datatype &self) {
                Contents c = contents_of(self.get());
                nb::list types = datatype_list(c.types);
                return nb::make_tuple(int_list(c.ints.data(), c.ints.size()),
                                      int_list(c.addrs.data(), c.addrs.size()),
                                      int_list(c.counts.data(), c.counts.size()), types);
            },
            "Return the arguments the datatype's constructor took: (integers, addresses, large "
            "counts, datatypes). Derived datatypes returned are new: free them when done.")
        .def_prop_ro(
            "contents", [](nb::handle self) { return self.attr("Get_contents")(); }, "Contents.")
        .def_static("_from_recipe", &from_recipe, nb::arg("recipe"),
                    "Make the datatype a pickled recipe describes (committed).")
        .def("decode", &decode,
             "Return (base datatype, combiner name, constructor arguments as a dict). Derived "
             "datatypes returned are new: free them when done.");
}

// A derived datatype pickles as the recipe it is made by (see recipe_of); rebuilt by
// Datatype._from_recipe through a methodcaller (nanobind functions do not pickle).
nb::object Datatype::reduce(nb::handle self) {
    nb::object recipe = recipe_of(self);
    nb::object rebuild =
        nb::module_::import_("operator").attr("methodcaller")("_from_recipe", recipe);
    return nb::make_tuple(rebuild, nb::make_tuple(nb::type<Datatype>()));
}

bool Datatype::predefined_handle(MPI_Datatype t) {
    int combiner = MPI_UNDEFINED;
    if (t == MPI_DATATYPE_NULL || query_combiner(t, combiner) != MPI_SUCCESS) return false;
    return combiner_is_predefined(combiner);
}

#undef MPIPY_TYPE_C

}  // namespace mpipy
