// Out-of-line parts of the shared core: the cold error paths and the registry of
// predefined handle names.
#include "core.hpp"

#include <map>
#include <utility>

namespace mpipy {

bool mpi_active = false;
int sessions_open = 0;
bool python_callbacks_registered = false;

void throw_mpi_error(int code) { throw MpiError{code}; }

void throw_not_active() {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (finalized) throw std::runtime_error("MPI is finalized: no MPI call is allowed any more");
    if (!initialized)
        throw std::runtime_error("MPI is not initialized: call MPI.Init() or MPI.Init_thread() "
                                 "(mpipy.rc.initialize is False)");
    throw std::runtime_error("MPI is not active");
}

void require_usable() {
    if (sessions_open == 0) throw_not_active();
}

void throw_world_model_inactive() {
    throw std::runtime_error("COMM_WORLD and COMM_SELF belong to the world model, which is not "
                             "initialized: only communicators made from a session's groups "
                             "are usable (call MPI.Init() or MPI.Init_thread() for the others)");
}

void throw_null_handle(int error_class, const char *) { throw MpiError{error_class}; }

void throw_not_implemented(const char *what) {
    PyErr_Format(PyExc_NotImplementedError, "%s is not available in this MPI library", what);
    throw nb::python_error();
}

void raise_error(PyObject *kind, const std::string &message) {
    PyErr_SetString(kind, message.c_str());
    throw nb::python_error();
}

void spec_error(PyObject *kind, const std::string &what) { raise_error(kind, "message: " + what); }

std::string type_name_of(nb::handle obj) { return nb::type_name(obj.type()).c_str(); }

long long index_arg(nb::handle obj, const char *what) {
    nb::object index;
    PyObject *number = obj.ptr();
    if (!PyLong_Check(number)) {
        index = nb::steal(PyNumber_Index(number));
        if (!index) {
            PyErr_Clear();
            raise_error(PyExc_TypeError,
                        std::string(what) + " must be an integer, not " + type_name_of(obj));
        }
        number = index.ptr();
    }
    const long long value = PyLong_AsLongLong(number);
    if (value == -1 && PyErr_Occurred()) throw nb::python_error();
    return value;
}

static std::map<std::pair<std::string, std::intptr_t>, std::string> &predefined_names() {
    static std::map<std::pair<std::string, std::intptr_t>, std::string> names;
    return names;
}

void register_predefined_name(const char *kind, std::intptr_t handle, const char *name) {
    // The first name registered for a handle wins (FLOAT32_T and FLOAT may share one).
    predefined_names().emplace(std::make_pair(std::string(kind), handle), name);
}

std::string predefined_name(const char *kind, std::intptr_t handle) {
    auto it = predefined_names().find({kind, handle});
    return it == predefined_names().end() ? std::string() : it->second;
}

nb::object module_constant(const std::string &name) {
    static nb::handle module = nb::module_::import_("mpipy.MPI").release();
    return module.attr(name.c_str());
}

void throw_cannot_serialize(nb::handle self) {
    nb::handle type = self.type();
    throw nb::value_error(("cannot serialize '" +
                           std::string(nb::cast<std::string>(type.attr("__module__"))) + "." +
                           nb::cast<std::string>(type.attr("__name__")) + "' instance")
                              .c_str());
}

std::string str_arg(nb::handle obj, const char *what) {
    if (!nb::isinstance<nb::str>(obj))
        throw nb::type_error(
            (std::string(what) + " must be a str, not " + nb::type_name(obj.type()).c_str())
                .c_str());
    return nb::cast<std::string>(obj);
}

nb::str object_name(const char *name, int len) {
    len = len < 0 ? 0 : (len > MPI_MAX_OBJECT_NAME ? MPI_MAX_OBJECT_NAME : len);
    PyObject *str = PyUnicode_DecodeUTF8(name, len, "replace");
    if (!str) throw nb::python_error();
    return nb::steal<nb::str>(str);
}

}  // namespace mpipy
