"""Errors: MPI.Exception, error classes and strings, user-defined error classes/codes/
strings, Errhandler objects and the error handlers of communicators. Correct at any
world size (every check is local, or collective on a communicator every rank makes)."""

import pickle

import pytest

from mpipy import MPI

ERROR_CLASS_NAMES = sorted(n for n in dir(MPI) if n.startswith("ERR_") and n != "ERR_LASTCODE")
# Classes of MPI-1 to MPI-3: every MPI defines them, each with its own value.
STANDARD_CLASSES = [
    "ERR_BUFFER",
    "ERR_COUNT",
    "ERR_TYPE",
    "ERR_TAG",
    "ERR_COMM",
    "ERR_RANK",
    "ERR_REQUEST",
    "ERR_ROOT",
    "ERR_GROUP",
    "ERR_OP",
    "ERR_TOPOLOGY",
    "ERR_DIMS",
    "ERR_ARG",
    "ERR_UNKNOWN",
    "ERR_TRUNCATE",
    "ERR_OTHER",
    "ERR_INTERN",
    "ERR_IN_STATUS",
    "ERR_PENDING",
    "ERR_KEYVAL",
    "ERR_NO_MEM",
    "ERR_BASE",
    "ERR_INFO_KEY",
    "ERR_INFO_VALUE",
    "ERR_INFO_NOKEY",
    "ERR_SPAWN",
    "ERR_PORT",
    "ERR_SERVICE",
    "ERR_NAME",
    "ERR_WIN",
    "ERR_SIZE",
    "ERR_DISP",
    "ERR_INFO",
    "ERR_LOCKTYPE",
    "ERR_ASSERT",
    "ERR_RMA_CONFLICT",
    "ERR_RMA_SYNC",
    "ERR_RMA_RANGE",
    "ERR_RMA_ATTACH",
    "ERR_RMA_SHARED",
    "ERR_RMA_FLAVOR",
    "ERR_FILE",
    "ERR_NOT_SAME",
    "ERR_AMODE",
    "ERR_UNSUPPORTED_DATAREP",
    "ERR_UNSUPPORTED_OPERATION",
    "ERR_NO_SUCH_FILE",
    "ERR_FILE_EXISTS",
    "ERR_BAD_FILE",
    "ERR_ACCESS",
    "ERR_NO_SPACE",
    "ERR_QUOTA",
    "ERR_READ_ONLY",
    "ERR_FILE_IN_USE",
    "ERR_DUP_DATAREP",
    "ERR_CONVERSION",
    "ERR_IO",
]

# -- MPI.Exception ---------------------------------------------------------------------


def test_exception_is_runtime_error():
    assert issubclass(MPI.Exception, RuntimeError)
    assert MPI.Exception.__name__ == "Exception"
    assert MPI.Exception.__module__ == "mpipy.MPI"


def test_exception_accessors():
    exc = MPI.Exception(MPI.ERR_COMM)
    assert exc.Get_error_code() == exc.error_code == MPI.ERR_COMM
    assert exc.Get_error_class() == exc.error_class == MPI.ERR_COMM
    text = exc.Get_error_string()
    assert text == exc.error_string == MPI.Get_error_string(MPI.ERR_COMM)
    assert str(exc) == text
    assert "communicator" in text.lower()
    assert exc.args == (MPI.ERR_COMM,)
    assert int(exc) == MPI.ERR_COMM
    assert repr(exc) == f"MPI.Exception({MPI.ERR_COMM})"


def test_exception_default_is_success():
    exc = MPI.Exception()
    assert exc.Get_error_code() == MPI.SUCCESS == 0
    assert not exc
    assert MPI.Exception(MPI.ERR_OTHER)


def test_exception_comparisons():
    five, six = MPI.Exception(5), MPI.Exception(6)
    assert five == 5 and 5 == five and five == MPI.Exception(5)
    assert five != six and five != 6 and not (five != 5)
    assert five < six and five <= 5 and six > 5 and six >= six
    assert not (five == "5")
    assert hash(five) == hash(5) == hash(MPI.Exception(5))
    with pytest.raises(TypeError):
        five < "6"  # noqa: B015


def test_exception_negative_code_is_unknown():
    assert MPI.Exception(-1) == MPI.ERR_UNKNOWN == MPI.Exception(MPI.SUCCESS - 7).error_code
    assert MPI.Exception(MPI.ERR_LASTCODE + 1) == MPI.ERR_LASTCODE + 1


def test_exception_bad_code():
    with pytest.raises(TypeError):
        MPI.Exception("1")
    with pytest.raises(TypeError):
        MPI.Exception(1.5)
    with pytest.raises(TypeError):
        MPI.Exception(1, 2)


def test_exception_pickles():
    exc = MPI.Exception(MPI.ERR_TAG)
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is MPI.Exception and again == exc


def test_exception_raised_by_mpi_call():
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_COMM
    # Catchable as a RuntimeError too.
    with pytest.raises(RuntimeError):
        MPI.DATATYPE_NULL.Get_size()


def test_exception_from_mpi_library():
    # MPI itself detects the error (an unknown keyval) and returns it: ERRORS_RETURN.
    comm = MPI.COMM_SELF.Dup()
    try:
        with pytest.raises(MPI.Exception) as info:
            comm.Get_attr(12345)
        exc = info.value
        assert exc.Get_error_class() in (MPI.ERR_KEYVAL, MPI.ERR_OTHER, MPI.ERR_ARG)
        assert exc.Get_error_string() == MPI.Get_error_string(exc.Get_error_code())
        assert exc.Get_error_string()
    finally:
        comm.Free()


# -- Error classes and strings ---------------------------------------------------------


def test_error_class_constants():
    assert MPI.SUCCESS == 0
    values = []
    for name in ERROR_CLASS_NAMES:
        value = getattr(MPI, name)
        assert type(value) is int and 0 < value <= MPI.ERR_LASTCODE, name
        values.append(value)
    standard = [getattr(MPI, n) for n in STANDARD_CLASSES]
    assert len(set(standard)) == len(standard)


def test_error_class_of_class_is_itself():
    for name in ["SUCCESS"] + ERROR_CLASS_NAMES:
        value = getattr(MPI, name)
        assert MPI.Get_error_class(value) == value, name


def test_error_strings():
    seen = set()
    for name in ["SUCCESS"] + STANDARD_CLASSES:
        text = MPI.Get_error_string(getattr(MPI, name))
        assert isinstance(text, str) and text, name
        assert len(text) <= MPI.MAX_ERROR_STRING
        seen.add(text)
    assert len(seen) > len(STANDARD_CLASSES) // 2  # not one text for all


@pytest.mark.parametrize("code", [-5, 10**6, 2**31 - 1])
def test_unknown_error_code(code):
    # Whatever the MPI says about a code it does not know, it is a str or an
    # MPI.Exception.
    try:
        text = MPI.Get_error_string(code)
    except MPI.Exception:
        pass
    else:
        assert isinstance(text, str)
    try:
        value = MPI.Get_error_class(code)
    except MPI.Exception:
        pass
    else:
        assert type(value) is int


@pytest.mark.parametrize("func", ["Get_error_class", "Get_error_string", "Add_error_code"])
def test_error_functions_bad_arguments(func):
    with pytest.raises(TypeError):
        getattr(MPI, func)("1")
    with pytest.raises(TypeError):
        getattr(MPI, func)(None)
    with pytest.raises((OverflowError, TypeError)):
        getattr(MPI, func)(2**70)


# -- User-defined error classes, codes and strings -------------------------------------


def test_add_error_class_code_string():
    errorclass = MPI.Add_error_class()
    assert type(errorclass) is int and errorclass > MPI.ERR_LASTCODE
    # Open MPI 5.0 answers ERR_UNKNOWN for the class of a user-defined class.
    assert MPI.Get_error_class(errorclass) in (errorclass, MPI.ERR_UNKNOWN)
    assert MPI.COMM_WORLD.Get_attr(MPI.LASTUSEDCODE) >= errorclass

    errorcode = MPI.Add_error_code(errorclass)
    assert errorcode != errorclass and errorcode > MPI.ERR_LASTCODE
    assert MPI.Get_error_class(errorcode) == errorclass

    MPI.Add_error_string(errorclass, "mpipy test class")
    MPI.Add_error_string(errorcode, "mpipy test code \u00e9")
    assert MPI.Get_error_string(errorclass) == "mpipy test class"
    assert MPI.Get_error_string(errorcode) == "mpipy test code \u00e9"

    exc = MPI.Exception(errorcode)
    assert exc.Get_error_class() == errorclass
    assert exc.error_string == str(exc) == "mpipy test code \u00e9"

    # MPI-4.1 removal, where the MPI has it.
    try:
        MPI.Remove_error_string(errorcode)
        MPI.Remove_error_code(errorcode)
        MPI.Remove_error_string(errorclass)
        MPI.Remove_error_class(errorclass)
    except NotImplementedError:
        pass


def test_add_error_code_bad_class():
    with pytest.raises(MPI.Exception):
        MPI.Add_error_code(-7)


def test_add_error_string_bad_arguments():
    errorclass = MPI.Add_error_class()
    with pytest.raises(TypeError):
        MPI.Add_error_string(errorclass, 3)
    with pytest.raises(TypeError):
        MPI.Add_error_string(errorclass, b"bytes")
    with pytest.raises(TypeError):
        MPI.Add_error_string("x", "text")


# -- Errhandler ------------------------------------------------------------------------


def test_errhandler_constants():
    handlers = [MPI.ERRORS_RETURN, MPI.ERRORS_ARE_FATAL, MPI.ERRORS_ABORT]
    for eh in handlers + [MPI.ERRHANDLER_NULL]:
        assert type(eh) is MPI.Errhandler
    assert all(handlers)
    assert not MPI.ERRHANDLER_NULL
    assert MPI.ERRORS_RETURN != MPI.ERRORS_ARE_FATAL
    assert MPI.ERRORS_ABORT != MPI.ERRORS_RETURN
    assert MPI.Errhandler() == MPI.ERRHANDLER_NULL


def test_predefined_comms_return_errors():
    for comm in (MPI.COMM_WORLD, MPI.COMM_SELF):
        eh = comm.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        assert eh == MPI.ERRHANDLER_NULL


def new_comms(parent):
    """Every kind of new communicator this scope creates, from parent."""
    return [parent.Dup(), parent.Clone(), parent.Split(0, 0), parent.Dup(MPI.INFO_NULL)]


@pytest.mark.parametrize("parent", ["world", "self"])
def test_new_comms_return_errors(parent):
    parent = MPI.COMM_WORLD if parent == "world" else MPI.COMM_SELF
    for comm in new_comms(parent):
        try:
            assert comm.Get_errhandler() == MPI.ERRORS_RETURN
            with pytest.raises(MPI.Exception):
                comm.Get_attr(12345)
        finally:
            comm.Free()


def test_new_comms_return_errors_whatever_the_parent_has():
    parent = MPI.COMM_WORLD.Dup()
    try:
        parent.Set_errhandler(MPI.ERRORS_ARE_FATAL)
        assert parent.Get_errhandler() == MPI.ERRORS_ARE_FATAL
        for comm in new_comms(parent):
            assert comm.Get_errhandler() == MPI.ERRORS_RETURN
            comm.Free()
        parent.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        parent.Free()


def test_set_get_errhandler():
    comm = MPI.COMM_SELF.Dup()
    try:
        for eh in (MPI.ERRORS_ARE_FATAL, MPI.ERRORS_ABORT, MPI.ERRORS_RETURN):
            assert comm.Set_errhandler(eh) is None
            got = comm.Get_errhandler()
            assert type(got) is MPI.Errhandler and got == eh
            assert got is not eh
            got.Free()
            assert not got and eh  # freeing what Get_errhandler gave leaves eh alone
    finally:
        comm.Free()


def test_set_errhandler_bad_arguments():
    comm = MPI.COMM_SELF.Dup()
    try:
        with pytest.raises(MPI.Exception) as info:
            comm.Set_errhandler(MPI.ERRHANDLER_NULL)
        assert info.value.Get_error_class() in (MPI.ERR_ERRHANDLER, MPI.ERR_ARG)
        with pytest.raises(TypeError):
            comm.Set_errhandler(None)
        with pytest.raises(TypeError):
            comm.Set_errhandler(MPI.COMM_WORLD)
        assert comm.Get_errhandler() == MPI.ERRORS_RETURN
    finally:
        comm.Free()
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Set_errhandler(MPI.ERRORS_RETURN)
    assert info.value.Get_error_class() == MPI.ERR_COMM
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Get_errhandler()
    assert info.value.Get_error_class() == MPI.ERR_COMM


def test_errhandler_free_predefined_raises():
    for eh in (MPI.ERRORS_RETURN, MPI.ERRORS_ARE_FATAL, MPI.ERRORS_ABORT):
        with pytest.raises(MPI.Exception) as info:
            eh.Free()
        assert info.value.Get_error_class() in (MPI.ERR_ERRHANDLER, MPI.ERR_ARG)
        assert eh  # still the predefined handler
    with pytest.raises(MPI.Exception):
        MPI.ERRHANDLER_NULL.Free()
    assert MPI.COMM_WORLD.Get_errhandler() == MPI.ERRORS_RETURN


def test_errhandler_free_copy_of_predefined():
    # A copy does not own the predefined handler: freeing it lets go of the handle only.
    copy = MPI.Errhandler(MPI.ERRORS_RETURN)
    copy.Free()
    assert copy == MPI.ERRHANDLER_NULL
    assert MPI.ERRORS_RETURN
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_errhandler(MPI.ERRORS_RETURN)
        with pytest.raises(MPI.Exception):
            comm.Get_attr(12345)
    finally:
        comm.Free()


def test_unknown_codes_once_user_classes_exist():
    # Some MPIs (MPICH) look such codes up in the table of added classes: never a crash.
    errorclass = MPI.Add_error_class()
    errorcode = MPI.Add_error_code(errorclass)
    MPI.Add_error_string(errorcode, "added by the test")
    assert MPI.Get_error_string(errorcode) == "added by the test"
    assert MPI.Get_error_class(errorcode) == errorclass
    for code in (-1, -5):
        for query in (MPI.Get_error_string, MPI.Get_error_class):
            with pytest.raises(MPI.Exception) as excinfo:
                query(code)
            assert excinfo.value.Get_error_class() == MPI.ERR_ARG
    for code in (errorcode + 1000, 2**30 + 5, 2**31 - 1):
        try:
            assert isinstance(MPI.Get_error_string(code), str)
        except MPI.Exception:
            pass
        try:
            assert isinstance(MPI.Get_error_class(code), int)
        except MPI.Exception:
            pass
