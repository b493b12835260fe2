// Reduction operations: the Op class, the predefined operations, and user operations made from
// Python functions (Op.Create), which MPI calls back through a fixed table of trampolines.
#include "core/callbacks.hpp"
#include "core/buffer.hpp"
#include "core/msgbuffer.hpp"
#include "core/objects.hpp"

#include <exception>

namespace mpipy {

namespace {

// ---------------------------------------------------------------------------------------------
// User operations. MPI's user function gets no user pointer, so each operation gets a slot of
// its own in a fixed table, and a trampoline per slot knows its index. A freed operation's
// function stays until its slot is reused: MPI lets a pending nonblocking reduction finish
// with an operation freed meanwhile.

CallbackSlots<32> user_ops;
bool user_op_commutes[decltype(user_ops)::size];  // Op.Create's `commute`, for pickling

// The first exception a user function raised that has not reached Python yet. MPI callbacks
// cannot fail, so the trampoline keeps it and skips further calls until the code that called
// MPI raises it (raise_op_error).
std::exception_ptr *pending_error = nullptr;

// MPI's datatype as a Python Datatype. Flagged predefined so that the function cannot Free
// a datatype it does not own.
nb::object datatype_object(MPI_Datatype type) {
    nb::object obj = lent_handle<Datatype>(type);
    nb::inst_ptr<Datatype>(obj)->predefined = true;
    return obj;
}

// The buffer objects over MPI's memory are emptied when the call ends, however it ends (a
// traceback keeps the function's arguments alive). Views the function still holds (a NumPy
// array kept somewhere) cannot be revoked: the release then fails quietly.
struct CallBuffers {
    nb::object in, inout;
    CallBuffers(void *a, void *b, Py_ssize_t nbytes)
        : in(buffer_of(a, nbytes, false, nb::handle())),
          inout(buffer_of(b, nbytes, false, nb::handle())) {}
    CallBuffers(const CallBuffers &) = delete;
    CallBuffers &operator=(const CallBuffers &) = delete;
    ~CallBuffers() {
        for (nb::handle buffer : {in, inout}) {
            try {
                buffer.attr("release")();
            } catch (nb::python_error &) {  // still exported
            }
        }
    }
};

void call_user_function(std::size_t slot, void *in, void *inout, MPI_Count len, MPI_Datatype type) {
    PyGILState_STATE gil = PyGILState_Ensure();
    if (nb::object function = user_ops.function(slot); !pending_error && function.is_valid()) {
        try {
            MPI_Count lb = 0, extent = 0;  // the large-count query: extents beyond MPI_Aint
            check(MPI_Type_get_extent_x(type, &lb, &extent));
            const Py_ssize_t nbytes = static_cast<Py_ssize_t>(len * extent);
            CallBuffers buffers(in, inout, nbytes);
            function(buffers.in, buffers.inout, datatype_object(type));
        } catch (...) {
            pending_error = new std::exception_ptr(std::current_exception());
        }
    }
    PyGILState_Release(gil);
}

// The length is an MPI_Count with the large-count MPI_Op_create_c, an int otherwise.
#if MPIPY_HAVE_LARGE_COUNT
using UserLength = MPI_Count;
#else
using UserLength = int;
#endif

template <std::size_t Slot> struct UserOpTrampoline {
    static void call(void *in, void *inout, UserLength *len, MPI_Datatype *type) {
        call_user_function(Slot, in, inout, *len, *type);
    }
};
constexpr auto user_op_trampolines = decltype(user_ops)::c_functions<UserOpTrampoline>();

nb::object create_op(nb::handle function, bool commute) {
    require_active();
    if (!PyCallable_Check(function.ptr()))
        throw nb::type_error(("Op.Create needs a callable function(invec, inoutvec, datatype), "
                              "not " +
                              std::string(nb::type_name(function.type()).c_str()))
                                 .c_str());
    std::size_t slot = user_ops.take("user-defined operations");
    MPI_Op op = MPI_OP_NULL;
    check(MPIPY_C(MPI_Op_create)(user_op_trampolines[slot], commute ? 1 : 0, &op));
    user_ops.fill(slot, function, handle_to_int(op));
    user_op_commutes[slot] = commute;
    nb::object out = new_handle<Op>(op);
    nb::inst_ptr<Op>(out)->created = true;
    return out;
}

bool is_predefined_op(const Op &self) {
    return self.is_null() || self.predefined ||
           !predefined_name(OpKind::name, handle_to_int(self.handle)).empty();
}

int commutative(const Op &self) {
    int flag = 0;
    check(MPI_Op_commutative(self.get(), &flag));
    return flag;
}

void reduce_local(const Op &self, nb::handle inbuf, nb::handle inoutbuf) {
    MPI_Op op = self.get();
    MessageBuffer in, inout;
    parse_message(inbuf, Access::read, in);
    parse_message(inoutbuf, Access::write, inout);
    if (in.count != inout.count)
        throw nb::value_error(("message: input count " + std::to_string(in.count) +
                               " and input/output count " + std::to_string(inout.count) + " differ")
                                  .c_str());
    if (in.type != inout.type)
        throw nb::value_error("message: input and input/output datatypes differ");
    int rc;
    {
        ReleaseGIL nogil;
        CallCount c(inout.count, inout.type);
        rc = MPIPY_C(MPI_Reduce_local)(in.addr, inout.addr, c.count, c.type, op);
    }
    raise_op_error();  // the function's own exception comes first: MPI's error may follow from it
    check(rc);
}

nb::object call_op(const Op &self, nb::handle x, nb::handle y) {
    if (self.is_null()) throw nb::value_error("cannot apply MPI.OP_NULL");
    if (is_predefined_op(self)) return apply_op(self.handle, x, y);
    nb::object function = user_op_function(self.handle);
    if (!function.is_valid())
        throw nb::value_error("cannot apply a user-defined operation not created by Op.Create");
    return function(x, y, nb::none());
}

}  // namespace

nb::object user_op_function(MPI_Op op) {
    std::size_t slot = user_ops.find(handle_to_int(op));
    return slot < user_ops.size ? user_ops.function(slot) : nb::object();
}

void raise_op_error() {
    if (!pending_error) [[likely]]
        return;
    std::exception_ptr error = *pending_error;
    delete pending_error;
    pending_error = nullptr;
    std::rethrow_exception(error);
}

// A user operation pickles as the Op.Create call that makes it again (Op.Create itself does not
// pickle, being a nanobind function: a methodcaller on the class does).
nb::object Op::reduce(nb::handle self) {
    const Op &op = *nb::inst_ptr<Op>(self);
    const std::size_t slot = op.created ? user_ops.find(handle_to_int(op.handle)) : user_ops.size;
    if (slot == user_ops.size)
        throw nb::value_error("cannot pickle a user-defined operation not made by Op.Create");
    nb::object create = nb::module_::import_("operator")
                            .attr("methodcaller")("Create", user_ops.function(slot),
                                                  nb::bool_(user_op_commutes[slot]));
    return nb::make_tuple(create, nb::make_tuple(nb::borrow(self.type())));
}

bool object_op_supported(MPI_Op op) {
    return op == MPI_SUM || op == MPI_PROD || op == MPI_MAX || op == MPI_MIN || op == MPI_LAND ||
           op == MPI_LOR || op == MPI_LXOR || op == MPI_BAND || op == MPI_BOR || op == MPI_BXOR ||
           op == MPI_REPLACE || op == MPI_NO_OP || op == MPI_MAXLOC || op == MPI_MINLOC;
}

// A predefined operation applied to Python objects, with Python's semantics.
nb::object apply_op(MPI_Op op, nb::handle a, nb::handle b) {
    auto result = [](PyObject *r) {
        if (!r) throw nb::python_error();
        return nb::steal(r);
    };
    auto truth = [](nb::handle x) {
        int t = PyObject_IsTrue(x.ptr());
        if (t < 0) throw nb::python_error();
        return t != 0;
    };
    auto less = [](nb::handle x, nb::handle y) {
        int t = PyObject_RichCompareBool(x.ptr(), y.ptr(), Py_LT);
        if (t < 0) throw nb::python_error();
        return t != 0;
    };
    if (op == MPI_SUM) return result(PyNumber_Add(a.ptr(), b.ptr()));
    if (op == MPI_PROD) return result(PyNumber_Multiply(a.ptr(), b.ptr()));
    if (op == MPI_MAX) return nb::borrow(less(a, b) ? b : a);
    if (op == MPI_MIN) return nb::borrow(less(b, a) ? b : a);
    if (op == MPI_LAND) return nb::bool_(truth(a) && truth(b));
    if (op == MPI_LOR) return nb::bool_(truth(a) || truth(b));
    if (op == MPI_LXOR) return nb::bool_(truth(a) != truth(b));
    if (op == MPI_BAND) return result(PyNumber_And(a.ptr(), b.ptr()));
    if (op == MPI_BOR) return result(PyNumber_Or(a.ptr(), b.ptr()));
    if (op == MPI_BXOR) return result(PyNumber_Xor(a.ptr(), b.ptr()));
    if (op == MPI_REPLACE) return nb::borrow(b);
    if (op == MPI_NO_OP) return nb::borrow(a);
    if (op == MPI_MAXLOC || op == MPI_MINLOC) {  // (value, index) pairs; ties: lower index
        nb::handle av = a[0], bv = b[0];
        bool a_wins = op == MPI_MAXLOC ? less(bv, av) : less(av, bv);
        bool b_wins = op == MPI_MAXLOC ? less(av, bv) : less(bv, av);
        if (a_wins) return nb::borrow(a);
        if (b_wins) return nb::borrow(b);
        return nb::borrow(less(b[1], a[1]) ? b : a);  // a tie: the pair with the lower index
    }
    throw nb::value_error("this operation cannot be applied to Python objects");
}

void bind_op(nb::module_ &m) {
    nb::class_<Op> cls(m, "Op", nb::is_weak_referenceable(), "Reduction operation.");
    bind_handle_protocol(cls);
    cls.def_static("Create", &create_op, nb::arg("function"), nb::arg("commute") = false,
                   "Create a user-defined reduction operation.")
        .def(
            "Free",
            [](Op &self) {
                MPI_Op op = self.get();
                if (self.predefined || !predefined_name(OpKind::name, handle_to_int(op)).empty())
                    throw MpiError{MPI_ERR_OP};  // predefined, however the handle was obtained
                const std::intptr_t handle = handle_to_int(op);
                check(MPI_Op_free(&op));
                FreedHandles<OpKind>::freed(handle_from_int<MPI_Op>(handle));
                self.handle = op;
                user_ops.give_back(handle);
            },
            "Free the operation.")
        .def(
            "Is_commutative", [](const Op &self) { return commutative(self) != 0; },
            "Query reduction operations for their commutativity.")
        .def_prop_ro(
            "is_commutative", [](const Op &self) { return commutative(self) != 0; },
            "Is a commutative operation.")
        .def_prop_ro(
            "is_predefined", [](const Op &self) { return is_predefined_op(self); },
            "Is a predefined operation.")
        .def("Reduce_local", &reduce_local, nb::arg("inbuf"), nb::arg("inoutbuf"),
             "Apply a reduction operation to local data.")
        .def("__call__", &call_op, nb::arg("x").none(), nb::arg("y").none(),
             "Apply the operation to two Python objects.");

    add_constant<Op>(m, "OP_NULL", MPI_OP_NULL);
    add_constant<Op>(m, "MAX", MPI_MAX);
    add_constant<Op>(m, "MIN", MPI_MIN);
    add_constant<Op>(m, "SUM", MPI_SUM);
    add_constant<Op>(m, "PROD", MPI_PROD);
    add_constant<Op>(m, "LAND", MPI_LAND);
    add_constant<Op>(m, "BAND", MPI_BAND);
    add_constant<Op>(m, "LOR", MPI_LOR);
    add_constant<Op>(m, "BOR", MPI_BOR);
    add_constant<Op>(m, "LXOR", MPI_LXOR);
    add_constant<Op>(m, "BXOR", MPI_BXOR);
    add_constant<Op>(m, "MAXLOC", MPI_MAXLOC);
    add_constant<Op>(m, "MINLOC", MPI_MINLOC);
    add_constant<Op>(m, "REPLACE", MPI_REPLACE);
    add_constant<Op>(m, "NO_OP", MPI_NO_OP);
}

}  // namespace mpipy
