// Fast entry points for the per-message methods (Send, Recv, Wait, send, recv, ...).
//
// nanobind serves every call shape (keywords, implicit conversions, the overload error
// messages), but a function with default or None-accepting arguments goes through its general
// dispatcher, ~130 instructions a call: as much as the rest of a Wait. A method made fast here
// keeps its nanobind function object (signature, docstring, stub: all unchanged) and puts an
// entry of its own in that object's vectorcall slot (PEP 590), in front of nanobind's. The
// entry serves the common shape itself: positional arguments only, each one a handle (any
// object; None only where the default is None or there is none) or an exact int that fits, the
// missing trailing ones taken from the defaults given. Any other call (keywords, an int
// subclass or __index__ object, a value that overflows, too few or too many arguments) goes on
// to nanobind's dispatcher as before, so the behaviour and the errors are nanobind's.
#pragma once

#include "core.hpp"

#include <array>
#include <climits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace mpipy {

// Set the Python error for the C++ exception being handled (inside a catch block), as
// nanobind's dispatcher would: its built-in exceptions, python_error, MpiError (errors.cpp's
// translator); the rest as RuntimeError.
void set_error_from_exception() noexcept;

namespace fastcall {

// One positional argument, converted as nanobind would convert it on its first (no implicit
// conversion) pass; false: this shape is left to nanobind.
inline bool convert(PyObject *o, nb::handle &out) {
    out = o;
    return true;
}
inline bool convert(PyObject *o, int &out) {
    if (!PyLong_CheckExact(o)) return false;
    long value;
#if PY_VERSION_HEX >= 0x030C0000
    auto *number = reinterpret_cast<PyLongObject *>(o);
    if (!PyUnstable_Long_IsCompact(number)) return false;  // beyond one digit: beyond int
    value = static_cast<long>(PyUnstable_Long_CompactValue(number));
#else
    // Python 3.11 keeps small ints (|value| < 2**30) in one digit, the sign in the size.
    const Py_ssize_t digits = Py_SIZE(o);
    if (digits < -1 || digits > 1) return false;
    const auto *number = reinterpret_cast<PyLongObject *>(o);
    value = digits == 0 ? 0 : static_cast<long>(digits) * static_cast<long>(number->ob_digit[0]);
#endif
    if (value < INT_MIN || value > INT_MAX) return false;
    out = static_cast<int>(value);
    return true;
}

// The result as nanobind would return it.
inline PyObject *to_python(nb::object &&result) { return result.release().ptr(); }
inline PyObject *to_python(bool result) { return Py_NewRef(result ? Py_True : Py_False); }
template <class T> PyObject *to_python(T &&result) {
    return nb::cast(std::forward<T>(result)).release().ptr();
}

template <class F> struct Signature;
template <class R, class... Args> struct Signature<R (*)(Args...)> {
    using Result = R;
    using Values = std::tuple<std::decay_t<Args>...>;
    static constexpr size_t arity = sizeof...(Args);
};

// The entry of one method: Fn, a plain function whose first parameter is `self` (or the first
// argument of a static method), its trailing `defaults`.
template <auto Fn> struct Entry {
    using Sig = Signature<decltype(Fn)>;
    static constexpr size_t arity = Sig::arity;
    static inline vectorcallfunc nanobind_entry = nullptr;
    static inline std::array<PyObject *, arity> defaults{};  // nullptr: required
    static inline size_t required = arity;

    static PyObject *call(PyObject *callable, PyObject *const *args, size_t nargsf,
                          PyObject *kwnames) {
        const size_t n = static_cast<size_t>(PyVectorcall_NARGS(nargsf));
        typename Sig::Values values;
        if (kwnames || n < required || n > arity || !convert_all(args, n, values))
            return nanobind_entry(callable, args, nargsf, kwnames);
        try {
            if constexpr (std::is_void_v<typename Sig::Result>) {
                std::apply(Fn, values);
                Py_RETURN_NONE;
            } else {
                return to_python(std::apply(Fn, values));
            }
        } catch (...) {
            set_error_from_exception();
            return nullptr;
        }
    }

    // A None given for a parameter whose default is something else is nanobind's to refuse.
    static inline std::array<bool, arity> none_refused{};

    static bool convert_all(PyObject *const *args, size_t n, typename Sig::Values &values) {
        return [&]<size_t... I>(std::index_sequence<I...>) {
            return ((I < n ? !(args[I] == Py_None && none_refused[I]) &&
                                 convert(args[I], std::get<I>(values))
                           : convert(defaults[I], std::get<I>(values))) &&
                    ...);
        }(std::make_index_sequence<arity>{});
    }
};

// The defaults of the nanobind argument specs (nb::arg("root") = 0, ...) that have one.
template <class... Specs> std::vector<nb::object> defaults_of(const Specs &...specs) {
    std::vector<nb::object> defaults;
    [[maybe_unused]] auto add = [&](const auto &spec) {
        if constexpr (requires { spec.value; }) defaults.push_back(nb::borrow(spec.value));
    };
    (add(specs), ...);
    return defaults;
}

// Put Fn's fast entry in front of the function `name` of class `cls` (already defined with
// nanobind, for the same C++ function); `defaults` are those of its last parameters, as
// nanobind was given them.
template <auto Fn>
void install(nb::handle cls, const char *name, const std::vector<nb::object> &defaults) {
    using E = Entry<Fn>;
    PyObject *function =
        PyDict_GetItemString(reinterpret_cast<PyTypeObject *>(cls.ptr())->tp_dict, name);
    PyTypeObject *type = function ? Py_TYPE(function) : nullptr;
    if (!type || !PyType_HasFeature(type, Py_TPFLAGS_HAVE_VECTORCALL) ||
        type->tp_vectorcall_offset <= 0 || defaults.size() > E::arity - 1)
        throw std::logic_error(std::string("fastcall::install: cannot make ") + name + " fast");
    auto *slot = reinterpret_cast<vectorcallfunc *>(reinterpret_cast<char *>(function) +
                                                    type->tp_vectorcall_offset);
    if (*slot == &E::call) return;  // (the same function object met under another name)
    // Fn may serve several names (Probe and probe): each install gives the same defaults, and
    // nanobind's entry is the same dispatcher for functions declared alike.
    E::nanobind_entry = *slot;
    E::required = E::arity - defaults.size();
    size_t i = E::required;
    for (const nb::object &d : defaults) {
        E::none_refused[i] = !d.is_none();
        E::defaults[i++] = nb::object(d).release().ptr();  // kept
    }
    *slot = &E::call;
}

// Bind Fn as the method (def) or static method (def_static) `name` of cls, with nanobind's
// `extra` (argument specs, docstring), and give it its fast entry with the defaults of those
// same specs: the defaults are stated once.
template <auto Fn, class Class, class... Extra>
void def(Class &cls, const char *name, const Extra &...extra) {
    cls.def(name, Fn, extra...);
    install<Fn>(cls, name, defaults_of(extra...));
}
template <auto Fn, class Class, class... Extra>
void def_static(Class &cls, const char *name, const Extra &...extra) {
    cls.def_static(name, Fn, extra...);
    install<Fn>(cls, name, defaults_of(extra...));
}

}  // namespace fastcall
}  // namespace mpipy
