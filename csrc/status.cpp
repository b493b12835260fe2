// Status: the MPI_Status of a completed receive or probe, with its accessors.
#include "core/msgbuffer.hpp"
#include "core/objects.hpp"
#include "core/buffer.hpp"

#include <nanobind/stl/vector.h>

#include <cstring>
#include <vector>

namespace mpipy {

Status::Status() {
    std::memset(&status, 0, sizeof(status));  // count 0, not cancelled
    status.MPI_SOURCE = MPI_ANY_SOURCE;
    status.MPI_TAG = MPI_ANY_TAG;
    status.MPI_ERROR = MPI_SUCCESS;
}

static MPI_Datatype datatype_arg(nb::handle datatype) {
    if (!nb::isinstance<Datatype>(datatype))
        throw nb::type_error("datatype must be an MPI.Datatype");
    return nb::inst_ptr<Datatype>(datatype)->get();
}

void bind_status(nb::module_ &m) {
    nb::class_<Status> cls(m, "Status", "Status object.", nb::is_weak_referenceable());
    // One signature (status=None), not an overload set, whose docstring would open with
    // every signature in place of a summary.
    cls.def(
           "__init__",
           [](Status *self, nb::handle other) {
               if (other.is_none()) {
                   new (self) Status();
                   return;
               }
               if (!nb::isinstance<Status>(other))
                   throw nb::type_error(
                       ("expecting an MPI.Status or None, not " + type_name_of(other)).c_str());
               new (self) Status(*nb::inst_ptr<Status>(other));
           },
           nb::arg("status").none() = nb::none())
        .def(
            "Get_source", [](const Status &s) { return s.status.MPI_SOURCE; },
            "Get message source.")
        .def(
            "Set_source", [](Status &s, int source) { s.status.MPI_SOURCE = source; },
            nb::arg("source"), "Set message source.")
        .def_prop_rw(
            "source", [](const Status &s) { return s.status.MPI_SOURCE; },
            [](Status &s, int source) { s.status.MPI_SOURCE = source; }, "Message source.")
        .def(
            "Get_tag", [](const Status &s) { return s.status.MPI_TAG; }, "Get message tag.")
        .def(
            "Set_tag", [](Status &s, int tag) { s.status.MPI_TAG = tag; }, nb::arg("tag"),
            "Set message tag.")
        .def_prop_rw(
            "tag", [](const Status &s) { return s.status.MPI_TAG; },
            [](Status &s, int tag) { s.status.MPI_TAG = tag; }, "Message tag.")
        .def(
            "Get_error", [](const Status &s) { return s.status.MPI_ERROR; }, "Get message error.")
        .def(
            "Set_error", [](Status &s, int error) { s.status.MPI_ERROR = error; }, nb::arg("error"),
            "Set message error.")
        .def_prop_rw(
            "error", [](const Status &s) { return s.status.MPI_ERROR; },
            [](Status &s, int error) { s.status.MPI_ERROR = error; }, "Message error.")
        .def(
            "Get_count",
            [](const Status &s, nb::handle datatype) {
                require_active();
                return status_count(s.status,
                                    datatype.is_none() ? MPI_BYTE : datatype_arg(datatype));
            },
            nb::arg("datatype") = nb::none(), "Get the number of *top level* elements.")
        .def_prop_rw(
            "count",
            [](const Status &s) {
                require_active();
                return status_count(s.status, MPI_BYTE);
            },
            [](Status &s, MPI_Count count) {
                require_active();
                if (count < 0) throw nb::value_error("count must be non-negative");
                check(MPI_Status_set_elements_x(&s.status, MPI_BYTE, count));
            },
            "Byte count.")
        .def(
            "Get_elements",
            [](const Status &s, nb::handle datatype) {
                require_active();
                return status_elements(s.status, datatype_arg(datatype));
            },
            nb::arg("datatype"), "Get the number of basic elements in a datatype.")
        .def(
            "Set_elements",
            [](Status &s, nb::handle datatype, MPI_Count count) {
                require_active();
                if (count < 0) throw nb::value_error("count must be non-negative");
                check(MPI_Status_set_elements_x(&s.status, datatype_arg(datatype), count));
            },
            nb::arg("datatype"), nb::arg("count"), "Set the number of elements in a status.")
        .def(
            "Is_cancelled",
            [](const Status &s) {
                require_active();
                int flag = 0;
                check(MPI_Test_cancelled(&s.status, &flag));
                return flag != 0;
            },
            "Test to see if a request was cancelled.")
        .def(
            "Set_cancelled",
            [](Status &s, bool flag) {
                require_active();
                check(MPI_Status_set_cancelled(&s.status, flag ? 1 : 0));
            },
            nb::arg("flag"), "Set the cancelled state associated with a status.")
        .def_prop_rw(
            "cancelled", [](nb::handle self) { return self.attr("Is_cancelled")(); },
            [](nb::handle self, bool flag) { self.attr("Set_cancelled")(flag); },
            "Cancelled state.")
        .def("__copy__", [](nb::handle self) { return nb::borrow(self.type())(self); })
        .def(
            "__eq__",
            [](const Status &s, nb::handle other) -> nb::object {
                if (!nb::isinstance<Status>(other)) return nb::borrow(Py_NotImplemented);
                return nb::bool_(std::memcmp(&s.status, &nb::inst_ptr<Status>(other)->status,
                                             sizeof(MPI_Status)) == 0);
            },
            nb::arg("other").none())
        .def(
            "__ne__",
            [](const Status &s, nb::handle other) -> nb::object {
                if (!nb::isinstance<Status>(other)) return nb::borrow(Py_NotImplemented);
                return nb::bool_(std::memcmp(&s.status, &nb::inst_ptr<Status>(other)->status,
                                             sizeof(MPI_Status)) != 0);
            },
            nb::arg("other").none())
        .def(
            "py2f",
            [](const Status &s) {
                require_active();
                std::vector<fortran_int> f(MPI_F_STATUS_SIZE);
#if MPIPY_HAVE_FORTRAN_HANDLES
                check(MPI_Status_c2f(&s.status, f.data()));
#else
                (void)s;
                throw_not_implemented("MPI_Status_c2f");
#endif
                return f;
            },
            "Convert to Fortran status.")
        .def_static(
            "f2py",
            [](const std::vector<fortran_int> &f) {
                require_active();
                if (f.size() < static_cast<size_t>(MPI_F_STATUS_SIZE))
                    throw nb::value_error("Fortran status must have F_STATUS_SIZE integers");
                Status s;
#if MPIPY_HAVE_FORTRAN_HANDLES
                check(MPI_Status_f2c(f.data(), &s.status));
#else
                throw_not_implemented("MPI_Status_f2c");
#endif
                return s;
            },
            nb::arg("arg"), "Convert Fortran status to Status.")
        .def(
            "tomemory",
            [](nb::handle self) {
                // The view keeps the Status alive (through the MPI.buffer it exports).
                Status *s = nb::inst_ptr<Status>(self);
                nb::object memory = buffer_of(&s->status, sizeof(MPI_Status), false, self);
                nb::object view = nb::steal(PyMemoryView_FromObject(memory.ptr()));
                if (!view) throw nb::python_error();
                return view.attr("cast")("i");
            },
            "Return a memory view of the status object.")
        // Pickled as the raw MPI_Status bytes, meaningful to the same MPI library only.
        // copyreg.__newobj__ makes an uninitialized Status for __setstate__ to construct, with
        // every pickle protocol.
        .def("__reduce__",
             [](nb::handle self) {
                 const Status &s = *nb::inst_ptr<Status>(self);
                 nb::bytes data(reinterpret_cast<const char *>(&s.status), sizeof(MPI_Status));
                 return nb::make_tuple(nb::module_::import_("copyreg").attr("__newobj__"),
                                       nb::make_tuple(self.type()), data);
             })
        .def("__setstate__", [](Status &s, nb::bytes data) {
            if (data.size() != sizeof(MPI_Status)) throw nb::value_error("invalid status data");
            new (&s) Status();
            std::memcpy(&s.status, data.c_str(), sizeof(MPI_Status));
        });
    cls.attr("__hash__") = nb::none();
}

}  // namespace mpipy
