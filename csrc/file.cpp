// Parallel I/O, the file itself: File.Open/Close/Delete, size, group, access mode, hints, views,
// atomicity, file pointers, error handlers, FILE_NULL and Register_datarep. Reads and writes are
// in file_io.cpp.
#include "core/buffer.hpp"
#include "core/objects.hpp"

#include <cstring>
#include <string>

namespace mpipy {

namespace {

// A file name as MPI takes it: bytes as given, str encoded the way the file system wants (as
// os.fsencode does), anything else through os.fspath (a pathlib.Path, ...).
std::string filename_arg(nb::handle filename) {
    nb::object path = nb::steal(PyOS_FSPath(filename.ptr()));  // TypeError for other objects
    if (!path.is_valid()) throw nb::python_error();
    if (PyUnicode_Check(path.ptr())) {
        path = nb::steal(PyUnicode_EncodeFSDefault(path.ptr()));
        if (!path.is_valid()) throw nb::python_error();
    }
    char *data = nullptr;
    Py_ssize_t len = 0;
    if (PyBytes_AsStringAndSize(path.ptr(), &data, &len) != 0) throw nb::python_error();
    std::string name(data, static_cast<size_t>(len));
    if (name.find('\0') != std::string::npos)
        raise_error(PyExc_ValueError, "filename: embedded null byte");
    return name;
}

// An offset or size in the file (MPI_Offset): an int or anything with __index__.
MPI_Offset offset_value(nb::handle obj, const char *what) {
    return static_cast<MPI_Offset>(index_arg(obj, what));
}

// A file size: a negative one is refused as MPI would (ERR_ARG) before MPI sees it, since some
// MPIs (Open MPI 5) hand it to the file system.
MPI_Offset size_value(nb::handle obj) {
    const MPI_Offset size = offset_value(obj, "size");
    if (size < 0) throw MpiError{MPI_ERR_ARG};
    return size;
}

MPI_Datatype datatype_arg(nb::handle obj, const char *what) {
    if (!nb::isinstance<Datatype>(obj))
        raise_error(PyExc_TypeError,
                    std::string(what) + " must be an MPI.Datatype, not " + type_name_of(obj));
    MPI_Datatype type = nb::inst_ptr<Datatype>(obj)->get();
    require_committed(type);  // MPI requires committed view types; some MPIs do not check
    return type;
}

MPI_Group file_group(const File &self) {
    MPI_Group group = MPI_GROUP_NULL;
    check(MPI_File_get_group(self.get(), &group));
    return group;
}

// The handle of a file object, null (FILE_NULL) allowed: error handlers apply to it.
MPI_File file_or_null(const File &self) {
    require_active();
    return self.is_null() ? MPI_FILE_NULL : self.get();
}

// ---------------------------------------------------------------------------------------------
// User data representations. MPI calls these C functions with the Python callables registered
// (never freed: MPI cannot unregister a representation). A Python exception becomes the
// callback's error (MPI raises ERR_CONVERSION) and is raised after the MPI call.

struct Datarep {
    nb::object read_fn, write_fn, extent_fn;
};

// The file extent of `type` as the representation's extent function gives it.
bool datarep_extent_of(const Datarep &rep, MPI_Datatype type, MPI_Aint &extent) {
    nb::object result = rep.extent_fn(lent_handle<Datatype>(type));
    extent = static_cast<MPI_Aint>(index_arg(result, "extent_fn result"));
    return true;
}

int datarep_extent(MPI_Datatype type, MPI_Aint *extent, void *state) {
    if (!Py_IsInitialized()) return MPI_ERR_CONVERSION;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        datarep_extent_of(*static_cast<Datarep *>(state), type, *extent);
    } catch (nb::python_error &e) {
        e.restore();
        stash_callback_error();
        rc = MPI_ERR_CONVERSION;
    } catch (...) {
        rc = MPI_ERR_CONVERSION;
    }
    PyGILState_Release(gil);
    return rc;
}

// How many items (entries of its type map) one instance of `type` holds: the elements a status
// of its size in bytes counts.
long long items_per_instance(MPI_Datatype type) {
    MPI_Count size = 0, items = 0;
    check(MPI_Type_size_x(type, &size));
    MPI_Status status;
    check(MPI_Status_set_elements_x(&status, MPI_BYTE, size));
    check(MPI_Get_elements_x(&status, type, &items));
    return items > 0 ? items : 1;
}

// Convert `count` items between the file buffer and the user's buffer (from item `position` of
// it on): the Python function gets both as MPI.buffer objects.
template <bool Reading>
int datarep_convert(void *userbuf, MPI_Datatype type, int count, void *filebuf, MPI_Offset position,
                    void *state) {
    if (!Py_IsInitialized()) return MPI_ERR_CONVERSION;
    PyGILState_STATE gil = PyGILState_Ensure();
    int rc = MPI_SUCCESS;
    try {
        const Datarep &rep = *static_cast<Datarep *>(state);
        // count and position are in items of the type map of `type` (tiled over the buffer):
        // the buffers span the instances of `type` that hold them.
        MPI_Aint lb = 0, extent = 0, file_extent = 0;
        check(MPI_Type_get_extent(type, &lb, &extent));
        datarep_extent_of(rep, type, file_extent);
        const long long items = items_per_instance(type);
        const long long instances = (position + count + items - 1) / items;
        const auto user_len = static_cast<Py_ssize_t>(instances * extent);
        const auto file_len = static_cast<Py_ssize_t>(count * file_extent / items);
        nb::object user = buffer_of(userbuf, user_len, !Reading, nb::none());
        nb::object file = buffer_of(filebuf, file_len, Reading, nb::none());
        const nb::object &fn = Reading ? rep.read_fn : rep.write_fn;
        fn(user, lent_handle<Datatype>(type), count, file, static_cast<long long>(position));
    } catch (nb::python_error &e) {
        e.restore();
        stash_callback_error();
        rc = MPI_ERR_CONVERSION;
    } catch (...) {
        rc = MPI_ERR_CONVERSION;
    }
    PyGILState_Release(gil);
    return rc;
}

// What MPI_Register_datarep's failure means when the MPI lacks the feature: Open MPI's own I/O
// component (OMPIO) registers no representations (ERR_OTHER, a duplicate name too); ROMIO
// (MPICH 5) registers none with conversion functions (ERR_UNSUPPORTED_DATAREP).
void not_implemented_datarep(int rc, bool converting) {
    int error_class = MPI_SUCCESS;
    if (MPI_Error_class(rc, &error_class) != MPI_SUCCESS) return;
    if (mpi_vendor() == MpiVendor::open_mpi && error_class == MPI_ERR_OTHER)
        throw_not_implemented("MPI_Register_datarep with Open MPI's OMPIO I/O component");
    if (converting && error_class == MPI_ERR_UNSUPPORTED_DATAREP)
        throw_not_implemented("MPI_Register_datarep with conversion functions (read_fn, write_fn)");
}

void register_datarep(nb::handle datarep, nb::handle read_fn, nb::handle write_fn,
                      nb::handle extent_fn) {
    require_active();
    const std::string name = str_arg(datarep, "datarep");
    for (nb::handle fn : {read_fn, write_fn})
        if (!fn.is_none() && !PyCallable_Check(fn.ptr()))
            throw nb::type_error("read_fn and write_fn must be callable or None");
    if (!PyCallable_Check(extent_fn.ptr())) throw nb::type_error("extent_fn must be callable");
    // Kept for as long as the process runs: MPI may call them until it finalizes.
    auto *rep = new Datarep{nb::borrow(read_fn), nb::borrow(write_fn), nb::borrow(extent_fn)};
    python_callbacks_registered = true;  // MPI calls Python from inside I/O calls from now on
    const int rc = MPI_Register_datarep(
        name.c_str(), read_fn.is_none() ? MPI_CONVERSION_FN_NULL : &datarep_convert<true>,
        write_fn.is_none() ? MPI_CONVERSION_FN_NULL : &datarep_convert<false>, &datarep_extent,
        rep);
    if (rc != MPI_SUCCESS) {
        delete rep;
        not_implemented_datarep(rc, !read_fn.is_none() || !write_fn.is_none());
        check(rc);
    }
}

}  // namespace

void bind_file(nb::module_ &m) {
    nb::class_<File> cls(m, "File", nb::is_weak_referenceable(), "File I/O context.");
    bind_handle_protocol(cls);
    nb::object info_null = m.attr("INFO_NULL");

    def_classmethod(
        cls, "Open",
        [](nb::handle cls, nb::handle comm, nb::handle filename, int amode, nb::handle info) {
            require_active();
            if (!nb::isinstance<Intracomm>(comm))
                raise_error(PyExc_TypeError,
                            "comm must be an MPI.Intracomm, not " + type_name_of(comm));
            MPI_Comm c = nb::inst_ptr<Comm>(comm)->get();
            const std::string name = filename_arg(filename);
            MPI_Info i = info_arg(info);
            nb::object obj = nb::borrow(cls)();
            if (!nb::isinstance<File>(obj)) throw nb::type_error("Open: not a File class");
            MPI_File fh = MPI_FILE_NULL;
            int rc;
            {
                ReleaseGIL nogil;
                rc = MPI_File_open(c, name.c_str(), amode, i, &fh);
            }
            check(rc);  // a failed open leaves nothing open
            // An open that failed while an error handler that returns was set succeeds with
            // no file: MPI_FILE_NULL, or 0 from MPICH 5.0.2 under the MPI standard ABI (where
            // MPI_FILE_NULL is not 0). No MPI gives 0 for a file.
            if (handle_to_int(fh) == 0) fh = MPI_FILE_NULL;
            set_default_file_errhandler(fh);
            nb::inst_ptr<File>(obj)->handle = fh;
            FreedHandles<FileKind>::given(fh);
            return obj;
        },
        nb::arg("comm"), nb::arg("filename"), nb::arg("amode") = static_cast<int>(MPI_MODE_RDONLY),
        nb::arg("info").none() = info_null, "Open a file.");
    cls.def(
        "Close",
        [](File &self) {
            MPI_File file = self.get();
            const MPI_File before = file;
            check_released([&] { return MPI_File_close(&file); });
            forget_split_collective(before);
            FreedHandles<FileKind>::freed(before);
            self.handle = file;
        },
        "Close a file.");
    def_classmethod(
        cls, "Delete",
        [](nb::handle, nb::handle filename, nb::handle info) {
            require_active();
            const std::string name = filename_arg(filename);
            MPI_Info i = info_arg(info);
            check_released([&] { return MPI_File_delete(name.c_str(), i); });
        },
        nb::arg("filename"), nb::arg("info").none() = info_null, "Delete a file.");

    cls.def(
           "Set_size",
           [](File &self, nb::handle size) {
               MPI_File fh = self.get();
               const MPI_Offset n = size_value(size);
               check_released([&] { return MPI_File_set_size(fh, n); });
           },
           nb::arg("size"), "Set the file size.")
        .def(
            "Preallocate",
            [](File &self, nb::handle size) {
                MPI_File fh = self.get();
                const MPI_Offset n = size_value(size);
                check_released([&] { return MPI_File_preallocate(fh, n); });
            },
            nb::arg("size"), "Preallocate storage space for a file.")
        .def(
            "Get_size",
            [](File &self) {
                MPI_File fh = self.get();
                MPI_Offset n = 0;
                check_released([&] { return MPI_File_get_size(fh, &n); });
                return static_cast<long long>(n);
            },
            "Return the file size.")
        .def_prop_ro(
            "size", [](nb::handle self) { return self.attr("Get_size")(); }, "Size (in bytes).")
        .def(
            "Get_amode",
            [](File &self) {
                int amode = 0;
                check(MPI_File_get_amode(self.get(), &amode));
                return amode;
            },
            "Return the file access mode.")
        .def_prop_ro(
            "amode", [](nb::handle self) { return self.attr("Get_amode")(); }, "Access mode.")
        .def(
            "Get_group", [](File &self) { return new_handle<Group>(file_group(self)); },
            "Access the group of processes that opened the file.")
        .def_prop_ro(
            "group", [](nb::handle self) { return self.attr("Get_group")(); }, "Group.")
        .def_prop_ro(
            "group_size",
            [](File &self) { return group_property(file_group(self), MPI_Group_size); },
            "Group size.")
        .def_prop_ro(
            "group_rank",
            [](File &self) { return group_property(file_group(self), MPI_Group_rank); },
            "Group rank.")
        .def(
            "Set_info",
            [](File &self, nb::handle info) {
                MPI_File fh = self.get();
                MPI_Info i = info_arg(info);
                check_released([&] { return MPI_File_set_info(fh, i); });
            },
            nb::arg("info"), "Set new values for the hints associated with a file.")
        .def(
            "Get_info",
            [](File &self) {
                MPI_Info info = MPI_INFO_NULL;
                check(MPI_File_get_info(self.get(), &info));
                return new_handle<Info>(info);
            },
            "Return the current hints for a file.")
        .def_prop_rw(
            "info", [](nb::handle self) { return self.attr("Get_info")(); },
            [](nb::handle self, nb::handle info) { self.attr("Set_info")(info); }, "Info hints.");

    cls.def(
           "Set_view",
           [](File &self, nb::handle disp, nb::handle etype, nb::handle filetype,
              nb::handle datarep, nb::handle info) {
               MPI_File fh = self.get();
               const MPI_Offset d = offset_value(disp, "disp");
               MPI_Datatype e = datatype_arg(etype, "etype");
               MPI_Datatype f = filetype.is_none() ? e : datatype_arg(filetype, "filetype");
               const std::string rep = str_arg(datarep, "datarep");
               MPI_Info i = info_arg(info);
               check_released([&] { return MPI_File_set_view(fh, d, e, f, rep.c_str(), i); });
           },
           nb::arg("disp") = 0, nb::arg("etype") = m.attr("BYTE"),
           nb::arg("filetype").none() = nb::none(), nb::arg("datarep") = "native",
           nb::arg("info").none() = info_null, "Set the file view.")
        .def(
            "Get_view",
            [](File &self) {
                MPI_Offset disp = 0;
                MPI_Datatype etype = MPI_DATATYPE_NULL, filetype = MPI_DATATYPE_NULL;
                char datarep[MPI_MAX_DATAREP_STRING + 1] = {0};
                check(MPI_File_get_view(self.get(), &disp, &etype, &filetype, datarep));
                datarep[MPI_MAX_DATAREP_STRING] = '\0';
                return nb::make_tuple(static_cast<long long>(disp), datatype_object(etype),
                                      datatype_object(filetype), nb::str(datarep));
            },
            "Return the file view.")
        .def(
            "Set_atomicity",
            [](File &self, bool flag) {
                MPI_File fh = self.get();
                check_released([&] { return MPI_File_set_atomicity(fh, flag ? 1 : 0); });
            },
            nb::arg("flag"), "Set the atomicity mode.")
        .def(
            "Get_atomicity",
            [](File &self) {
                int flag = 0;
                check(MPI_File_get_atomicity(self.get(), &flag));
                return flag != 0;
            },
            "Return the atomicity mode.")
        .def_prop_rw(
            "atomicity", [](nb::handle self) { return self.attr("Get_atomicity")(); },
            [](nb::handle self, nb::handle flag) { self.attr("Set_atomicity")(flag); },
            "Atomicity mode.")
        .def(
            "Sync",
            [](File &self) {
                MPI_File fh = self.get();
                check_released([&] { return MPI_File_sync(fh); });
            },
            "Causes all previous writes to be transferred to the storage device.");

    // File pointers: the individual one (Seek) and the shared one (Seek_shared, collective).
    cls.def(
           "Seek",
           [](File &self, nb::handle offset, int whence) {
               MPI_File fh = self.get();
               const MPI_Offset o = offset_value(offset, "offset");
               check_released([&] { return MPI_File_seek(fh, o, whence); });
           },
           nb::arg("offset"), nb::arg("whence") = static_cast<int>(MPI_SEEK_SET),
           "Update the individual file pointer.")
        .def(
            "Get_position",
            [](File &self) {
                MPI_Offset offset = 0;
                check(MPI_File_get_position(self.get(), &offset));
                return static_cast<long long>(offset);
            },
            "Return the current position of the individual file pointer.")
        .def(
            "Seek_shared",
            [](File &self, nb::handle offset, int whence) {
                MPI_File fh = self.get();
                const MPI_Offset o = offset_value(offset, "offset");
                check_released([&] { return MPI_File_seek_shared(fh, o, whence); });
            },
            nb::arg("offset"), nb::arg("whence") = static_cast<int>(MPI_SEEK_SET),
            "Update the shared file pointer.")
        .def(
            "Get_position_shared",
            [](File &self) {
                MPI_File fh = self.get();
                MPI_Offset offset = 0;
                int rc;
                {
                    ReleaseGIL nogil;  // the shared pointer may live in a file of its own
                    rc = MPI_File_get_position_shared(fh, &offset);
                }
                check(rc);
                return static_cast<long long>(offset);
            },
            "Return the current position of the shared file pointer.")
        .def(
            "Get_byte_offset",
            [](File &self, nb::handle offset) {
                MPI_File fh = self.get();
                MPI_Offset disp = 0;
                check(MPI_File_get_byte_offset(fh, offset_value(offset, "offset"), &disp));
                return static_cast<long long>(disp);
            },
            nb::arg("offset"), "Return the absolute byte position in the file.")
        .def(
            "Get_type_extent",
            [](File &self, nb::handle datatype) {
                MPI_File fh = self.get();
                MPI_Datatype type = datatype_arg(datatype, "datatype");
#if MPIPY_HAVE_LARGE_COUNT
                MPI_Count extent = 0;
                check(MPI_File_get_type_extent_c(fh, type, &extent));
#else
                MPI_Aint extent = 0;
                check(MPI_File_get_type_extent(fh, type, &extent));
#endif
                return static_cast<long long>(extent);
            },
            nb::arg("datatype"), "Return the extent of datatype in the file.");

    // Error handlers. FILE_NULL's applies to Open and Delete: ERRORS_RETURN unless changed.
    cls.def(
           "Get_errhandler",
           [](File &self) {
               MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
               check(MPI_File_get_errhandler(file_or_null(self), &eh));
               return new_handle<Errhandler>(eh);
           },
           "Get the error handler for a file.")
        .def(
            "Set_errhandler",
            [](File &self, const Errhandler &errhandler) {
                check(MPI_File_set_errhandler(file_or_null(self), errhandler.get()));
            },
            nb::arg("errhandler"), "Set the error handler for a file.")
        .def(
            "Call_errhandler",
            [](File &self, int errorcode) {
                check(MPI_File_call_errhandler(file_or_null(self), errorcode));
                raise_pending_callback_error();
            },
            nb::arg("errorcode"), "Call the error handler installed on a file.");
    def_classmethod(
        cls, "Create_errhandler",
        [](nb::handle, nb::handle errhandler_fn) { return create_file_errhandler(errhandler_fn); },
        nb::arg("errhandler_fn"), "Create a new error handler for files.");

    bind_file_io(cls);
    add_constant<File>(m, "FILE_NULL", MPI_FILE_NULL);

    m.def("Register_datarep", &register_datarep, nb::arg("datarep"), nb::arg("read_fn").none(),
          nb::arg("write_fn").none(), nb::arg("extent_fn"),
          "Register user-defined data representations.");
}

}  // namespace mpipy
