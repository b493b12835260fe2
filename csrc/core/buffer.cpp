// MPI.buffer (alias MPI.memory): a byte range exposed through the buffer protocol, over any
// buffer-like object, memory mpipy allocates (received out-of-band parts) or memory MPI hands
// out (Alloc_mem, Free_mem).
#include "buffer.hpp"
#include "msgbuffer.hpp"
#include "objects.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23  // Linux 5.14; older C library headers lack it
#endif

namespace mpipy {

namespace {

// Large blocks come from mmap (with huge pages when they come quickly: see populate_write).
// Freed blocks are kept in a small cache and reused for the next block of the same (2 MiB-
// rounded) size, so that receiving arrays in a loop does not pay for fresh pages every time.
constexpr size_t huge_threshold = size_t(2) << 20;
constexpr size_t cache_max_blocks = 4;
constexpr size_t cache_max_bytes = size_t(1) << 30;

size_t mapped_size(size_t n) { return (n + huge_threshold - 1) / huge_threshold * huge_threshold; }

struct CachedBlock {
    void *addr;
    size_t size;
};
std::vector<CachedBlock> block_cache;
size_t cached_bytes = 0;

// One block too large for the cache is kept as well, for the next block of that size: resident
// while the machine has memory to spare (MemAvailable at least 4x the block when it is freed),
// else with its pages handed back to the kernel lazily (MADV_FREE: taken when memory runs
// short). Receiving 2.5 GiB objects in a loop here: 0.45 s each with the block resident, as
// Send/Recv into a buffer made once (0.42 s); 0.5-0.9 s with MADV_FREE (the pages are dirtied
// and refilled again); 1.6 s with fresh memory every time.
struct BigBlock : CachedBlock {
    bool lazy;  // MADV_FREE'd: fill it again before use
};
BigBlock big_block{{nullptr, 0}, false};

void drop_big_block() {
    if (big_block.addr) munmap(big_block.addr, big_block.size);
    big_block = {{nullptr, 0}, false};
}

// MemAvailable of /proc/meminfo, in bytes (0 if unknown).
size_t memory_available() {
    std::FILE *f = std::fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[128];
    unsigned long long kib = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "MemAvailable: %llu kB", &kib) == 1) break;
    std::fclose(f);
    return static_cast<size_t>(kib) * 1024;
}

void *take_cached(size_t size) {
    if (big_block.addr && big_block.size == size) {
        void *p = big_block.addr;
        big_block = {{nullptr, 0}, false};
        return p;
    }
    for (size_t i = 0; i < block_cache.size(); ++i) {
        if (block_cache[i].size == size) {
            void *p = block_cache[i].addr;
            cached_bytes -= size;
            block_cache.erase(block_cache.begin() + static_cast<std::ptrdiff_t>(i));
            return p;
        }
    }
    return nullptr;
}

void unmap_or_cache(void *addr, size_t size) {
    if (size <= cache_max_bytes) {
        while (!block_cache.empty() &&
               (block_cache.size() >= cache_max_blocks || cached_bytes + size > cache_max_bytes)) {
            munmap(block_cache.front().addr, block_cache.front().size);  // oldest goes first
            cached_bytes -= block_cache.front().size;
            block_cache.erase(block_cache.begin());
        }
        block_cache.push_back({addr, size});
        cached_bytes += size;
        return;
    }
    drop_big_block();
    if (memory_available() / 4 >= size) {
        big_block = {{addr, size}, false};
        return;
    }
#ifdef MADV_FREE
    if (madvise(addr, size, MADV_FREE) == 0) {
        big_block = {{addr, size}, true};
        return;
    }
#endif
    munmap(addr, size);
}

// A block mpipy allocated (buffer.allocate, received out-of-band parts), exported through the
// buffer protocol: the `obj` of the buffers over it, as in mpi4py. Freed (or cached) with its
// last reference.
struct Block {
    void *addr = nullptr;
    size_t size = 0;
    bool mapped = false;  // from mmap (else malloc)

    Block() = default;
    Block(const Block &) = delete;
    Block &operator=(const Block &) = delete;
    ~Block() {
        if (!addr) return;
        if (mapped)
            unmap_or_cache(addr, mapped_size(size));
        else
            std::free(addr);
    }
};

int block_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    Block *b = nb::inst_ptr<Block>(self);
    return PyBuffer_FillInfo(view, self, b->addr, static_cast<Py_ssize_t>(b->size), 0, flags);
}

PyType_Slot block_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void *>(block_getbuffer)},
                             {0, nullptr}};

// MPI.buffer: the bytes [addr, addr + size) and what keeps them valid: `pin`, an export of the
// object whose memory they are (or of the buffer they were sliced from), or nothing for memory
// MPI owns (Alloc_mem, the arguments of user operations) or given by address. `obj` is what
// the .obj property reports.
struct Memory {
    char *addr = nullptr;
    Py_ssize_t size = 0;
    Py_ssize_t itemsize = 1;
    bool readonly = false;
    bool mpi_allocated = false;  // from Alloc_mem: what Free_mem frees
    int device = kHostBuffer;    // where the memory is (DLPack device type): maybe not the CPU's
    nb::object obj;
    PinnedBuffer pin;
    Py_ssize_t exports = 0;  // live buffer-protocol views of this buffer
    // What kept the memory valid before release(), kept until the views taken before go:
    // release() never leaves a view over freed memory.
    std::vector<std::pair<nb::object, PinnedBuffer>> retired;

    void release() {
        if (exports > 0) retired.emplace_back(std::move(obj), std::move(pin));
        obj = nb::object();
        pin.release();
        addr = nullptr;
        size = 0;
        itemsize = 1;
        readonly = false;
        mpi_allocated = false;
        device = kHostBuffer;
    }
    // The CPU reads and writes the bytes itself (items, slices assigned, tobytes, cast).
    void require_cpu() const {
        if (!cpu_accessible(device))
            raise_error(PyExc_BufferError, "buffer is not CPU-accessible (device memory)");
    }
};

int memory_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    static char empty = 0;
    Memory *m = nb::inst_ptr<Memory>(self);
    void *addr = m->addr ? m->addr : &empty;  // never NULL, even when empty
    if (PyBuffer_FillInfo(view, self, addr, m->size, m->readonly ? 1 : 0, flags) < 0) return -1;
    ++m->exports;
    return 0;
}

void memory_releasebuffer(PyObject *self, Py_buffer *) {
    Memory *m = nb::inst_ptr<Memory>(self);
    if (--m->exports == 0) m->retired.clear();
}

PyType_Slot memory_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void *>(memory_getbuffer)},
                              {Py_bf_releasebuffer, reinterpret_cast<void *>(memory_releasebuffer)},
                              {0, nullptr}};

// A new, empty MPI.buffer object (made directly: this is on the path of received parts).
nb::object new_memory(Memory *&m) {
    static const nb::handle type = nb::type<Memory>();
    nb::object obj = nb::inst_alloc(type);
    m = nb::inst_ptr<Memory>(obj);
    new (m) Memory();
    nb::inst_mark_ready(obj);
    return obj;
}

// Fault in [p, p + size) for writing: with huge pages while the kernel gives them quickly, with
// 4 KiB pages from the first slow chunk on. Measured here (Firecracker VM, 2 vCPUs, THP
// "madvise", free page reporting), receiving 2.5 GiB at N=2: the host takes free memory back in
// whole blocks seconds after it is freed, and huge pages come from such blocks, at 4-8 ms each
// to populate (a first receive of 13.5 s with MPICH, 9.6 s with Open MPI), against ~0.2 ms for
// huge pages freed a moment ago (0.3 s for 2.5 GiB). 4 KiB pages come first from small free
// blocks, which stay backed: a first receive of 1.7-4.7 s (~2.5 s mostly), later ones 1.6-2.6 s
// (1.3 s, or 5.3 s once the host took the memory back, with huge pages). A slow huge page costs
// ~10 ms at most before the switch. The steady state (16 and 256 MiB blocks, cached) is as fast.
void populate_write(char *p, size_t size) {
#if defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_WRITE)
    using clock = std::chrono::steady_clock;
    constexpr std::int64_t slow_ns_per_mib = 500000;  // 2 GiB/s; fast huge pages: ~8 GiB/s
    madvise(p, size, MADV_HUGEPAGE);
    size_t done = 0;
    for (size_t chunk = huge_threshold; done < size;
         chunk = std::min(2 * chunk, size_t(64) << 20)) {
        const size_t n = std::min(chunk, size - done);
        const auto start = clock::now();
        if (madvise(p + done, n, MADV_POPULATE_WRITE) != 0) return;  // kernels before 5.14
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start);
        done += n;
        if (ns.count() > slow_ns_per_mib * static_cast<std::int64_t>(n >> 20)) break;
    }
    if (done == size) return;
    madvise(p + done, size - done, MADV_NOHUGEPAGE);
    madvise(p + done, size - done, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)size;
#endif
}

// A block of n bytes, zeroed when `clear`. `populate`: every byte will be written at once (by
// MPI, receiving into it), so fresh pages are faulted in up front, in one go: much cheaper than
// one fault per page during the copy (28 s instead of 0.3 s for 2.3 GiB with Open MPI's
// single-copy transfers here). Blocks not populated get 4 KiB pages, as from malloc: faulted one
// by one, fresh huge pages cost more here (7 s instead of 2.3 s for 2.5 GiB).
void *allocate(size_t n, bool &mapped, bool clear, bool populate) {
    mapped = false;
    if (n >= huge_threshold) {
        const size_t size = mapped_size(n);
        const bool lazy = big_block.lazy && big_block.size == size;
        if (void *p = take_cached(size)) {  // touched already (mostly); holds old data
            if (populate && lazy) populate_write(static_cast<char *>(p), size);
            if (clear) std::memset(p, 0, n);
            mapped = true;
            return p;
        }
        if (size > cache_max_bytes) drop_big_block();  // a big block of another size: not kept
        void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            if (populate) populate_write(static_cast<char *>(p), size);
            mapped = true;
            return p;  // fresh mappings are zero
        }
    }
    void *p = clear ? std::calloc(n ? n : 1, 1) : std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    return p;
}

// A Block of n bytes (see allocate) as a Python object, and its address.
nb::object new_block(MPI_Count n, bool clear, bool populate, void **addr) {
    if (n < 0) throw nb::value_error("expecting non-negative size");
    static const nb::handle type = nb::type<Block>();
    nb::object obj = nb::inst_alloc(type);
    Block *b = nb::inst_ptr<Block>(obj);
    new (b) Block();
    nb::inst_mark_ready(obj);
    b->addr = allocate(static_cast<size_t>(n), b->mapped, clear, populate);
    b->size = static_cast<size_t>(n);
    *addr = b->addr;
    return obj;
}

// An MPI.buffer over a fresh Block.
nb::object buffer_over_block(MPI_Count n, bool clear, bool populate, void **addr) {
    nb::object block = new_block(n, clear, populate, addr);
    Memory *m;
    nb::object out = new_memory(m);
    m->addr = static_cast<char *>(*addr);
    m->size = static_cast<Py_ssize_t>(n);
    m->obj = std::move(block);  // nothing can free a Block but its last reference
    return out;
}

// An MPI.buffer over the memory obj exports (flags: PyBUF_SIMPLE, maybe PyBUF_WRITABLE).
nb::object buffer_over_export(nb::handle obj, int flags) {
    PinnedBuffer pin;
    if (!pin.acquire(obj.ptr(), flags)) throw nb::python_error();
    Memory *m;
    nb::object out = new_memory(m);
    m->addr = static_cast<char *>(pin.view().buf);
    m->size = pin.view().len;
    m->itemsize = pin.view().itemsize > 0 ? pin.view().itemsize : 1;
    m->readonly = pin.view().readonly != 0;
    m->device = pin.device();
    m->obj = nb::borrow(obj);
    m->pin = std::move(pin);  // a bytearray, say, cannot be resized meanwhile
    return out;
}

// A sub-range (or a read-only twin) of the buffer `self`, which it keeps exported: releasing
// self then leaves this one valid.
nb::object sub_buffer(nb::handle self, Py_ssize_t start, Py_ssize_t size, bool readonly,
                      nb::handle obj) {
    const Memory &parent = *nb::inst_ptr<Memory>(self);
    Memory *m;
    nb::object out = new_memory(m);
    if (!m->pin.acquire(self.ptr(), PyBUF_SIMPLE)) throw nb::python_error();
    m->addr = parent.addr ? parent.addr + start : nullptr;
    m->size = size;
    m->readonly = readonly;
    m->device = parent.device;
    m->obj = nb::borrow(obj);
    return out;
}

// An index into the buffer, negative ones counting from the end, as for bytes.
Py_ssize_t index_of(const Memory &m, nb::handle item) {
    Py_ssize_t i = PyNumber_AsSsize_t(item.ptr(), PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) throw nb::python_error();
    if (i < 0) i += m.size;
    if (i < 0 || i >= m.size) throw nb::index_error("index out of range");
    return i;
}

// [start, start + length) of a slice with step 1 (the only one a byte range can serve).
std::pair<Py_ssize_t, Py_ssize_t> range_of(const Memory &m, nb::handle slice) {
    Py_ssize_t start = 0, stop = 0, step = 1;
    if (PySlice_Unpack(slice.ptr(), &start, &stop, &step) < 0) throw nb::python_error();
    const Py_ssize_t length = PySlice_AdjustIndices(m.size, &start, &stop, step);
    if (step != 1) throw nb::index_error("slice with step not supported");
    return {start, length};
}

unsigned char byte_of(nb::handle value) {
    nb::object index = nb::steal(PyNumber_Index(value.ptr()));
    if (!index) throw nb::python_error();
    const long v = PyLong_AsLong(index.ptr());
    if (v == -1 && PyErr_Occurred()) throw nb::python_error();
    if (v < 0) raise_error(PyExc_OverflowError, "can't convert negative value to unsigned char");
    if (v > 255) raise_error(PyExc_OverflowError, "value too large to convert to unsigned char");
    return static_cast<unsigned char>(v);
}

Memory &memory_arg(nb::handle obj, const char *what) {
    if (!nb::isinstance<Memory>(obj))
        throw nb::type_error(
            (std::string(what) + " must be an MPI.buffer, not " + nb::type_name(obj.type()).c_str())
                .c_str());
    return *nb::inst_ptr<Memory>(obj);
}

}  // namespace

nb::object allocate_buffer(MPI_Count n, void **addr) {
    return buffer_over_block(n, false, true, addr);
}

bool is_null_buffer(nb::handle obj) {
    return nb::isinstance<Memory>(obj) && nb::inst_ptr<Memory>(obj)->addr == nullptr;
}

nb::object buffer_of(void *addr, Py_ssize_t size, bool readonly, nb::handle base) {
    Memory *m;
    nb::object out = new_memory(m);
    m->addr = static_cast<char *>(addr);
    m->size = size;
    m->readonly = readonly;
    if (base.is_valid()) m->obj = nb::borrow(base);
    return out;
}

void bind_buffer(nb::module_ &m) {
    nb::class_<Memory> cls(m, "buffer", nb::type_slots(memory_slots), nb::is_final(), "Buffer.");
    nb::class_<Block>(cls, "_Block", nb::type_slots(block_slots), nb::is_final(),
                      "Memory allocated by mpipy.");
    // One __init__ (not an overload set, whose docstring would open with every signature):
    // no argument makes an empty buffer, one wraps the memory of a buffer-like object.
    cls.def(
           "__init__",
           [](Memory *self, nb::args args) {
               if (args.size() > 1) throw nb::type_error("buffer() takes at most 1 argument");
               if (args.size() == 0) {
                   new (self) Memory();
                   return;
               }
               nb::object made = buffer_over_export(args[0], PyBUF_SIMPLE);
               new (self) Memory();
               Memory &src = *nb::inst_ptr<Memory>(made);
               std::swap(self->addr, src.addr);
               std::swap(self->size, src.size);
               std::swap(self->itemsize, src.itemsize);
               std::swap(self->readonly, src.readonly);
               std::swap(self->obj, src.obj);
               std::swap(self->pin, src.pin);
           },
           nb::sig("def __init__(self, buf: object = ..., /) -> None"),
           "Buffer over the memory of a buffer-like object (empty without one).")
        .def_static(
            "allocate",
            [](MPI_Aint nbytes, bool clear) {
                void *addr = nullptr;
                return buffer_over_block(nbytes, clear, false, &addr);
            },
            nb::arg("nbytes"), nb::arg("clear") = false, "Buffer allocation.")
        .def_static(
            "frombuffer",
            [](nb::handle obj, bool readonly) {
                nb::object out = buffer_over_export(obj, readonly ? PyBUF_SIMPLE : PyBUF_WRITABLE);
                nb::inst_ptr<Memory>(out)->readonly = readonly;
                return out;
            },
            nb::arg("obj"), nb::arg("readonly") = false, "Buffer from buffer-like object.")
        .def_static(
            "fromaddress",
            [](nb::handle address, MPI_Aint nbytes, bool readonly) {
                if (!PyLong_Check(address.ptr()))
                    throw nb::type_error("address must be an integer");
                void *addr = PyLong_AsVoidPtr(address.ptr());
                if (!addr && PyErr_Occurred()) throw nb::python_error();
                if (nbytes < 0) throw nb::value_error("expecting non-negative buffer length");
                if (nbytes > 0 && !addr) throw nb::value_error("expecting non-NULL address");
                return buffer_of(addr, static_cast<Py_ssize_t>(nbytes), readonly, nb::handle());
            },
            nb::arg("address"), nb::arg("nbytes"), nb::arg("readonly") = false,
            "Buffer from address and size in bytes.")
        .def_prop_ro(
            "address", [](const Memory &mem) { return reinterpret_cast<std::uintptr_t>(mem.addr); },
            "Buffer address.")
        .def_prop_ro(
            "obj", [](const Memory &mem) { return mem.obj.is_valid() ? mem.obj : nb::none(); },
            "Object exposing buffer.")
        .def_prop_ro(
            "nbytes", [](const Memory &mem) { return mem.size; }, "Buffer size (in bytes).")
        .def_prop_ro(
            "readonly", [](const Memory &mem) { return mem.readonly; }, "Buffer is read-only.")
        .def_prop_ro(
            "format", [](const Memory &) { return "B"; }, "Format of each element.")
        .def_prop_ro(
            "itemsize", [](const Memory &mem) { return mem.itemsize; },
            "Size (in bytes) of each element.")
        .def(
            "cast",
            [](nb::handle self, nb::handle format, nb::handle shape) {
                nb::inst_ptr<Memory>(self)->require_cpu();
                nb::object view = nb::steal(PyMemoryView_FromObject(self.ptr()));
                if (!view) throw nb::python_error();
                if (shape.ptr() == Py_Ellipsis) return view.attr("cast")(format);
                return view.attr("cast")(format, shape);
            },
            nb::arg("format"), nb::arg("shape") = nb::ellipsis(),
            "Cast to a `memoryview` with new format or shape.")
        .def(
            "tobytes",
            [](const Memory &mem, nb::handle) {
                mem.require_cpu();
                return nb::bytes(mem.addr ? mem.addr : "", static_cast<size_t>(mem.size));
            },
            nb::arg("order").none() = nb::none(), "Return the data in the buffer as a byte string.")
        .def(
            "toreadonly",
            [](nb::handle self) {
                const Memory &mem = *nb::inst_ptr<Memory>(self);
                return sub_buffer(self, 0, mem.size, true,
                                  mem.obj.is_valid() ? nb::handle(mem.obj) : self);
            },
            "Return a readonly version of the buffer object.")
        .def(
            "release", [](Memory &mem) { mem.release(); },
            "Release the underlying buffer exposed by the buffer object.")
        .def("__len__", [](const Memory &mem) { return mem.size; })
        .def("__getitem__",
             [](nb::handle self, nb::handle item) -> nb::object {
                 const Memory &mem = *nb::inst_ptr<Memory>(self);
                 mem.require_cpu();
                 if (PyIndex_Check(item.ptr()))
                     return nb::int_(static_cast<unsigned char>(mem.addr[index_of(mem, item)]));
                 if (PySlice_Check(item.ptr())) {
                     auto [start, length] = range_of(mem, item);
                     return sub_buffer(self, start, length, mem.readonly, self);
                 }
                 throw nb::type_error("index must be integer or slice");
             })
        .def("__setitem__",
             [](Memory &mem, nb::handle item, nb::handle value) {
                 mem.require_cpu();
                 if (mem.readonly) throw nb::type_error("buffer is read-only");
                 if (PyIndex_Check(item.ptr())) {
                     const Py_ssize_t i = index_of(mem, item);
                     mem.addr[i] = static_cast<char>(byte_of(value));
                     return;
                 }
                 if (!PySlice_Check(item.ptr()))
                     throw nb::type_error("index must be integer or slice");
                 auto [start, length] = range_of(mem, item);
                 if (PyIndex_Check(value.ptr())) {
                     const unsigned char byte = byte_of(value);
                     if (length > 0)
                         std::memset(mem.addr + start, byte, static_cast<size_t>(length));
                     return;
                 }
                 PinnedBuffer in;
                 if (!in.acquire(value.ptr(), PyBUF_ANY_CONTIGUOUS)) throw nb::python_error();
                 if (in.view().len != length)
                     throw nb::value_error("slice length does not match buffer");
                 if (length > 0)
                     std::memmove(mem.addr + start, in.view().buf, static_cast<size_t>(length));
             })
        .def("__delitem__", [](const Memory &, nb::handle) {
            raise_error(PyExc_NotImplementedError, "buffer items cannot be deleted");
        });
    m.attr("memory") = cls;

    m.def(
        "Alloc_mem",
        [](MPI_Aint size, nb::handle info) {
            require_active();
            if (size < 0) throw nb::value_error("expecting non-negative size");
            void *base = nullptr;
            check(MPI_Alloc_mem(size, info_arg(info), &base));
            nb::object out = buffer_of(base, static_cast<Py_ssize_t>(size), false, nb::handle());
            nb::inst_ptr<Memory>(out)->mpi_allocated = true;
            return out;
        },
        nb::arg("size"), nb::arg("info").none() = nb::none(),
        "Allocate memory for message passing and remote memory access.");
    m.def(
        "Free_mem",
        [](nb::handle mem) {
            Memory &buf = memory_arg(mem, "mem");
            if (!buf.mpi_allocated)
                throw nb::value_error("mem is not memory from Alloc_mem (or it was freed)");
            // A view of it (an attached send buffer, a pending request, a memoryview) would be
            // left over freed memory.
            if (buf.exports > 0)
                throw nb::buffer_error("memory is in use (exported): release its views first");
            require_active();
            check(MPI_Free_mem(buf.addr));
            buf.release();
        },
        nb::arg("mem"), "Free memory allocated with `Alloc_mem`.");
}

}  // namespace mpipy
