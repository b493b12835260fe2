// MPI.buffer (alias MPI.memory): a memory block exposed through the buffer protocol, used for
// memory mpipy allocates (received out-of-band parts) or that MPI hands out.
#include "pickled.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

struct Memory {
    void *addr = nullptr;
    Py_ssize_t size = 0;
    bool readonly = false;
    bool mapped = false;     // from mmap (else malloc)
    bool owned = false;      // freed with this object
    Py_ssize_t exports = 0;  // live buffer-protocol views: memory must not go away under them
    nb::object base;         // object whose memory this is, when not owned
    PinnedBuffer pin;        // base's buffer export, held so that base cannot move its memory

    Memory() = default;
    Memory(const Memory &) = delete;
    Memory &operator=(const Memory &) = delete;
    ~Memory() {
        exports = 0;
        release();
    }
    void release() {
        if (exports > 0)
            throw nb::buffer_error("buffer is exported: release the views of it first");
        if (owned && addr) {
            if (mapped)
                unmap_or_cache(addr, mapped_size(static_cast<size_t>(size)));
            else
                std::free(addr);
        }
        addr = nullptr;
        size = 0;
        owned = false;
        pin.release();
        base = nb::object();
    }
};

int memory_getbuffer(PyObject *self, Py_buffer *view, int flags) {
    Memory *m = nb::inst_ptr<Memory>(self);
    void *addr = m->addr ? m->addr : static_cast<void *>(&m->size);  // never NULL, even when empty
    if (PyBuffer_FillInfo(view, self, addr, m->size, m->readonly ? 1 : 0, flags) < 0) return -1;
    ++m->exports;
    return 0;
}

void memory_releasebuffer(PyObject *self, Py_buffer *) { --nb::inst_ptr<Memory>(self)->exports; }

PyType_Slot memory_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void *>(memory_getbuffer)},
                              {Py_bf_releasebuffer, reinterpret_cast<void *>(memory_releasebuffer)},
                              {0, nullptr}};

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

nb::object new_buffer(MPI_Count n, void **addr, bool clear, bool populate) {
    if (n < 0) throw nb::value_error("size must be non-negative");
    nb::object obj = nb::type<Memory>()();
    Memory *m = nb::inst_ptr<Memory>(obj);
    m->addr = allocate(static_cast<size_t>(n), m->mapped, clear, populate);
    m->size = static_cast<Py_ssize_t>(n);
    m->owned = true;
    *addr = m->addr;
    return obj;
}

}  // namespace

nb::object allocate_buffer(MPI_Count n, void **addr) { return new_buffer(n, addr, false, true); }

nb::object buffer_of(void *addr, Py_ssize_t size, bool readonly, nb::handle base) {
    nb::object obj = nb::type<Memory>()();
    Memory *m = nb::inst_ptr<Memory>(obj);
    m->addr = addr;
    m->size = size;
    m->readonly = readonly;
    m->base = nb::borrow(base);
    return obj;
}

void bind_buffer(nb::module_ &m) {
    nb::class_<Memory> cls(m, "buffer", nb::type_slots(memory_slots), "Buffer object.");
    cls.def(nb::init<>())
        .def_static(
            "allocate",
            [](MPI_Count nbytes, bool clear) {
                void *addr = nullptr;
                return new_buffer(nbytes, &addr, clear, false);
            },
            nb::arg("nbytes"), nb::arg("clear") = false, "Buffer allocation.")
        .def_static(
            "frombuffer",
            [](nb::handle obj, bool readonly) {
                PinnedBuffer pin;
                if (!pin.acquire(obj.ptr(), readonly ? PyBUF_SIMPLE : PyBUF_WRITABLE))
                    throw nb::python_error();
                nb::object out = nb::type<Memory>()();
                Memory *mem = nb::inst_ptr<Memory>(out);
                mem->addr = pin.view().buf;
                mem->size = pin.view().len;
                mem->readonly = readonly || pin.view().readonly;
                mem->base = nb::borrow(obj);
                mem->pin = std::move(pin);  // a bytearray, say, cannot be resized meanwhile
                return out;
            },
            nb::arg("obj"), nb::arg("readonly") = false, "Buffer from buffer-like object.")
        .def_prop_ro(
            "address", [](const Memory &mem) { return reinterpret_cast<std::intptr_t>(mem.addr); },
            "Buffer address.")
        .def_prop_ro(
            "nbytes", [](const Memory &mem) { return mem.size; }, "Buffer size (in bytes).")
        .def_prop_ro(
            "readonly", [](const Memory &mem) { return mem.readonly; }, "Buffer is read-only.")
        .def_prop_ro(
            "obj", [](const Memory &mem) { return mem.base.is_valid() ? mem.base : nb::none(); },
            "The underlying object of the buffer.")
        .def("__len__", [](const Memory &mem) { return mem.size; })
        .def(
            "tobytes",
            [](const Memory &mem) {
                return nb::bytes(static_cast<const char *>(mem.addr),
                                 static_cast<size_t>(mem.size));
            },
            "Return the data in the buffer as a byte string.")
        .def(
            "toreadonly",
            [](nb::handle self) {
                nb::object out = nb::type<Memory>()();
                Memory *ro = nb::inst_ptr<Memory>(out);
                // An export of self: self cannot be released while the read-only view lives.
                if (!ro->pin.acquire(self.ptr(), PyBUF_SIMPLE)) throw nb::python_error();
                ro->addr = ro->pin.view().buf;
                ro->size = ro->pin.view().len;
                ro->readonly = true;
                ro->base = nb::borrow(self);
                return out;
            },
            "Return a readonly version of the buffer object.")
        .def(
            "release", [](Memory &mem) { mem.release(); },
            "Release the underlying buffer exposed by the buffer object.");
    m.attr("memory") = cls;
}

}  // namespace mpipy
