// Info objects: the Info class (MPI's key/value hints, also usable as a dict of str to str),
// INFO_NULL and INFO_ENV, and the optional info argument of other families.
#include "core/objects.hpp"

#include <nanobind/stl/vector.h>

#include <vector>

namespace mpipy {

MPI_Info info_arg(nb::handle info) {
    if (info.is_none()) return MPI_INFO_NULL;
    if (!nb::isinstance<Info>(info)) throw nb::type_error("info must be an MPI.Info or None");
    const MPI_Info h = nb::inst_ptr<Info>(info)->handle;
    FreedHandles<InfoKind>::check(h);  // INFO_NULL passes
    return h;
}

namespace {

// Keys and values as MPI takes them. The limits count the terminating NUL in both MPIs we
// know (MPICH silently truncates at the limit, Open MPI refuses): refused here, by MPI's
// error classes, so that nothing is lost in silence.
std::string info_key(nb::handle key) {
    std::string k = str_arg(key, "key");
    if (k.empty() || k.size() >= static_cast<size_t>(MPI_MAX_INFO_KEY))
        throw MpiError{MPI_ERR_INFO_KEY};
    return k;
}

std::string info_value(nb::handle value) {
    std::string v = str_arg(value, "value");
    if (v.size() >= static_cast<size_t>(MPI_MAX_INFO_VAL)) throw MpiError{MPI_ERR_INFO_VALUE};
    return v;
}

// The value of a key, if set.
bool info_get(MPI_Info info, const std::string &key, std::string &out) {
    int flag = 0;
#if MPI_VERSION >= 4
    char small[256];
    int buflen = sizeof small;
    check(MPI_Info_get_string(info, key.c_str(), &buflen, small, &flag));
    if (!flag) return false;
    if (buflen <= static_cast<int>(sizeof small)) {
        out.assign(small, static_cast<size_t>(buflen - 1));
        return true;
    }
    std::vector<char> big(static_cast<size_t>(buflen));
    check(MPI_Info_get_string(info, key.c_str(), &buflen, big.data(), &flag));
    out.assign(big.data(), static_cast<size_t>(buflen - 1));
#else
    int len = 0;
    check(MPI_Info_get_valuelen(info, key.c_str(), &len, &flag));
    if (!flag) return false;
    std::vector<char> buf(static_cast<size_t>(len) + 1);
    check(MPI_Info_get(info, key.c_str(), len, buf.data(), &flag));
    out.assign(buf.data(), static_cast<size_t>(len));
#endif
    return true;
}

int info_nkeys(MPI_Info info) {
    int n = 0;
    check(MPI_Info_get_nkeys(info, &n));
    return n;
}

std::string info_nthkey(MPI_Info info, int n) {
    if (n < 0 || n >= info_nkeys(info)) throw MpiError{MPI_ERR_ARG};
    char key[MPI_MAX_INFO_KEY + 1] = {0};
    check(MPI_Info_get_nthkey(info, n, key));
    return std::string(key);
}

// The handle for the dict protocol: a null Info reads as an empty dict.
bool readable(const Info &self, MPI_Info &info) {
    if (self.is_null()) return false;
    info = self.get();
    return true;
}

std::vector<std::string> info_keys(const Info &self) {
    std::vector<std::string> keys;
    MPI_Info info;
    if (!readable(self, info)) return keys;
    int n = info_nkeys(info);
    for (int i = 0; i < n; ++i) keys.push_back(info_nthkey(info, i));
    return keys;
}

[[noreturn]] void key_error(nb::handle key) {
    PyErr_SetObject(PyExc_KeyError, key.ptr());
    throw nb::python_error();
}

// Info.Set and info[key] = value, with the key and value checked first.
void info_set(MPI_Info info, nb::handle key, nb::handle value) {
    std::string k = info_key(key), v = info_value(value);
    check(MPI_Info_set(info, k.c_str(), v.c_str()));
}

// Key/value pairs of an Info, a mapping, or an iterable of pairs, set into info.
void update_from(MPI_Info info, nb::handle items) {
    if (items.is_none()) return;
    nb::object pairs;
    if (nb::isinstance<Info>(items) || nb::hasattr(items, "keys"))
        pairs = items.attr("items")();
    else
        pairs = nb::borrow(items);
    for (nb::handle pair : nb::iter(pairs)) {
        nb::object seq = nb::steal(PySequence_Tuple(pair.ptr()));
        if (!seq.is_valid()) {
            PyErr_Clear();
            throw nb::type_error("info items must be (key, value) pairs");
        }
        if (PyTuple_GET_SIZE(seq.ptr()) != 2)
            throw nb::value_error("info items must be (key, value) pairs");
        info_set(info, PyTuple_GET_ITEM(seq.ptr(), 0), PyTuple_GET_ITEM(seq.ptr(), 1));
    }
}

nb::object new_info(nb::handle cls, nb::handle items) {
    nb::object obj = empty_instance_of<Info>(cls);
    MPI_Info info = MPI_INFO_NULL;
    check(MPI_Info_create(&info));
    try {
        update_from(info, items);
    } catch (...) {
        MPI_Info_free(&info);
        throw;
    }
    give_handle<Info>(obj, info);
    return obj;
}

}  // namespace

// An Info pickles as Info.Create of its items (Create itself, a nanobind function, does not
// pickle: a methodcaller on the class does).
nb::object Info::reduce(nb::handle self) {
    nb::object create =
        nb::module_::import_("operator").attr("methodcaller")("Create", self.attr("items")());
    return nb::make_tuple(create, nb::make_tuple(nb::borrow(self.type())));
}

void bind_info(nb::module_ &m) {
    nb::class_<Info> cls(m, "Info", nb::is_weak_referenceable(), "Info object.");
    bind_handle_protocol(cls);
    // Classmethods: a subclass makes objects of its own class.
    def_classmethod(cls, "Create", &new_info, nb::arg("items").none() = nb::none(),
                    "Create a new info object.");
    def_classmethod(
        cls, "Create_env",
        [](nb::handle cls, nb::handle args) {
#if MPIPY_HAVE_INFO_ENV
            // argv: None, one str (a single argument), or any iterable of str.
            std::vector<std::string> strings;
            if (nb::isinstance<nb::str>(args))
                strings.push_back(str_arg(args, "args"));
            else if (!args.is_none())
                for (nb::handle a : nb::iter(args)) strings.push_back(str_arg(a, "args"));
            std::vector<char *> argv;
            for (auto &s : strings) argv.push_back(s.data());
            argv.push_back(nullptr);
            nb::object obj = empty_instance_of<Info>(cls);
            MPI_Info info = MPI_INFO_NULL;
            check(MPI_Info_create_env(static_cast<int>(strings.size()),
                                      strings.empty() ? nullptr : argv.data(), &info));
            give_handle<Info>(obj, info);
            return obj;
#else
            (void)cls;
            (void)args;
            throw_not_implemented("MPI_Info_create_env");
#endif
        },
        nb::arg("args").none() = nb::none(), "Create a new environment info object.");
    cls.def(
           "Dup",
           [](nb::handle self) {
               MPI_Info info = nb::inst_ptr<Info>(self)->get(), out = MPI_INFO_NULL;
               check(MPI_Info_dup(info, &out));
               return new_like<Info>(self, out);
           },
           "Duplicate an existing info object.")
        .def(
            "Free",
            [](Info &self) {
                MPI_Info info = self.get();
                if (self.predefined ||
                    !predefined_name(InfoKind::name, handle_to_int(info)).empty())
                    throw MpiError{MPI_ERR_INFO};  // INFO_ENV, however the handle was obtained
                const MPI_Info freed = info;
                check(MPI_Info_free(&info));
                FreedHandles<InfoKind>::freed(freed);
                self.handle = info;
            },
            "Free an info object.")
        .def(
            "Get",
            [](const Info &self, nb::handle key) -> nb::object {
                MPI_Info info = self.get();
                std::string value;
                if (!info_get(info, info_key(key), value)) return nb::none();
                return nb::str(value.data(), value.size());
            },
            nb::arg("key"), "Retrieve the value associated with a key.")
        .def(
            "Set",
            [](const Info &self, nb::handle key, nb::handle value) {
                info_set(self.get(), key, value);
            },
            nb::arg("key"), nb::arg("value"), "Store a value associated with a key.")
        .def(
            "Delete",
            [](const Info &self, nb::handle key) {
                MPI_Info info = self.get();
                check(MPI_Info_delete(info, info_key(key).c_str()));
            },
            nb::arg("key"), "Remove a (key, value) pair from info.")
        .def(
            "Get_nkeys", [](const Info &self) { return info_nkeys(self.get()); },
            "Return the number of currently defined keys in info.")
        .def(
            "Get_nthkey", [](const Info &self, int n) { return info_nthkey(self.get(), n); },
            nb::arg("n"), "Return the *n*-th defined key in info.")
        // The dict protocol.
        .def("__len__",
             [](const Info &self) {
                 MPI_Info info;
                 return readable(self, info) ? info_nkeys(info) : 0;
             })
        .def(
            "__contains__",
            [](const Info &self, nb::handle key) {
                MPI_Info info;
                if (!readable(self, info)) return false;
                std::string value;
                return info_get(info, info_key(key), value);
            },
            nb::arg("key"))
        .def("__iter__", [](const Info &self) { return nb::iter(nb::cast(info_keys(self))); })
        .def(
            "__getitem__",
            [](const Info &self, nb::handle key) {
                MPI_Info info;
                std::string value;
                if (!readable(self, info) || !info_get(info, info_key(key), value)) key_error(key);
                return nb::str(value.data(), value.size());
            },
            nb::arg("key"))
        .def(
            "__setitem__",
            [](const Info &self, nb::handle key, nb::handle value) {
                if (self.is_null()) key_error(key);  // INFO_NULL: an empty mapping, read-only
                info_set(self.get(), key, value);
            },
            nb::arg("key"), nb::arg("value"))
        .def(
            "__delitem__",
            [](const Info &self, nb::handle key) {
                MPI_Info info;
                std::string k = info_key(key), value;
                if (!readable(self, info) || !info_get(info, k, value)) key_error(key);
                check(MPI_Info_delete(info, k.c_str()));
            },
            nb::arg("key"))
        .def(
            "get",
            [](const Info &self, nb::handle key, nb::handle default_) -> nb::object {
                MPI_Info info;
                std::string value;
                if (!readable(self, info) || !info_get(info, info_key(key), value))
                    return nb::borrow(default_);
                return nb::str(value.data(), value.size());
            },
            nb::arg("key"), nb::arg("default").none() = nb::none(),
            "Retrieve value by key, or default.")
        .def("keys", &info_keys, "Return list of keys.")
        .def(
            "values",
            [](const Info &self) {
                std::vector<std::string> values;
                for (const auto &k : info_keys(self)) {
                    std::string v;
                    info_get(self.get(), k, v);
                    values.push_back(v);
                }
                return values;
            },
            "Return list of values.")
        .def(
            "items",
            [](const Info &self) {
                nb::list items;
                for (const auto &k : info_keys(self)) {
                    std::string v;
                    info_get(self.get(), k, v);
                    items.append(
                        nb::make_tuple(nb::str(k.data(), k.size()), nb::str(v.data(), v.size())));
                }
                return items;
            },
            "Return list of items.")
        .def(
            "update",
            [](const Info &self, nb::handle items, nb::kwargs kwds) {
                if (self.is_null()) throw nb::key_error();
                MPI_Info info = self.get();
                update_from(info, items);
                update_from(info, kwds);
            },
            nb::arg("items") = nb::tuple(), nb::arg("kwds"), "Update contents.")
        .def(
            "pop",
            [](const Info &self, nb::handle key, nb::args default_) -> nb::object {
                if (default_.size() > 1) throw nb::type_error("pop expected at most 2 arguments");
                MPI_Info info;
                std::string k = info_key(key), value;
                if (!readable(self, info) || !info_get(info, k, value)) {
                    if (default_.size() == 1) return nb::borrow(default_[0]);
                    key_error(key);
                }
                check(MPI_Info_delete(info, k.c_str()));
                return nb::str(value.data(), value.size());
            },
            nb::arg("key"), nb::arg("default"), "Pop value by key.")
        .def(
            "popitem",
            [](const Info &self) {
                MPI_Info info;
                if (!readable(self, info) || info_nkeys(info) == 0)
                    throw nb::key_error("popitem(): info is empty");
                std::string k = info_nthkey(info, info_nkeys(info) - 1), v;
                info_get(info, k, v);
                check(MPI_Info_delete(info, k.c_str()));
                return nb::make_tuple(nb::str(k.data(), k.size()), nb::str(v.data(), v.size()));
            },
            "Pop last item.")
        .def(
            "copy",
            [](nb::handle self) -> nb::object {
                if (nb::inst_ptr<Info>(self)->is_null()) return nb::borrow(self.type())();
                return self.attr("Dup")();
            },
            "Copy contents.")
        .def(
            "clear",
            [](const Info &self) {
                MPI_Info info;
                if (!readable(self, info)) return;
                for (int n = info_nkeys(info); n > 0; --n)
                    check(MPI_Info_delete(info, info_nthkey(info, n - 1).c_str()));
            },
            "Clear contents.");
    add_constant<Info>(m, "INFO_NULL", MPI_INFO_NULL);
#if MPIPY_HAVE_INFO_ENV
    add_constant<Info>(m, "INFO_ENV", MPI_INFO_ENV);
#else
    m.attr("INFO_ENV") = m.attr("INFO_NULL");  // one object per handle (pickling)
#endif
}

}  // namespace mpipy
