/* C baseline of the benchmark cases in cases.py: the same kernels over MPI's C API.
 *
 *   bench CASE REPS VALUE:ITERS:WARMUP [...]   (under mpiexec)
 *   bench init | version                       (singleton or mpiexec -n 1)
 *
 * For each point rank 0 prints "RESULT VALUE t1 ... tREPS": seconds per operation
 * (one way for ping-pongs, one call for collectives) in each repetition. VALUE is the
 * message size in bytes. */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Large buffers get transparent huge pages, as NumPy asks for its large arrays: without
 * them the C column would copy through 4 KiB pages while the Python columns do not. Every
 * buffer starts at a page boundary, as the Python columns' do (cases.py: _buffer). */
static char *alloc_buffer(long size) {
    size_t n = size > 0 ? (size_t)size : 1;
    void *buf = NULL;
    size_t huge = (size_t)2 << 20;
    if (n >= 2 * huge) {
        if (posix_memalign(&buf, huge, n) != 0) return NULL;
#ifdef MADV_HUGEPAGE
        madvise(buf, n, MADV_HUGEPAGE);
#endif
    } else if (posix_memalign(&buf, 4096, n) != 0) {
        return NULL;
    }
    if (buf) memset(buf, 0x5a, n);
    return buf;
}

/* One kernel runs `iters` iterations of a case on this rank and returns how many
 * operations one iteration counts for. Ranks that take no part return at once. */
typedef int (*kernel_fn)(char *buf, long size, long iters, int rank);

static int k_pingpong(char *buf, long size, long iters, int rank) {
    MPI_Comm comm = MPI_COMM_WORLD;
    int n = (int)size;
    if (rank == 0)
        for (long i = 0; i < iters; i++) {
            MPI_Send(buf, n, MPI_BYTE, 1, 0, comm);
            MPI_Recv(buf, n, MPI_BYTE, 1, 0, comm, MPI_STATUS_IGNORE);
        }
    else if (rank == 1)
        for (long i = 0; i < iters; i++) {
            MPI_Recv(buf, n, MPI_BYTE, 0, 0, comm, MPI_STATUS_IGNORE);
            MPI_Send(buf, n, MPI_BYTE, 0, 0, comm);
        }
    return 2;
}

static int k_isend(char *buf, long size, long iters, int rank) {
    MPI_Comm comm = MPI_COMM_WORLD;
    MPI_Request req;
    int n = (int)size;
    if (rank == 0)
        for (long i = 0; i < iters; i++) {
            MPI_Isend(buf, n, MPI_BYTE, 1, 0, comm, &req);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
            MPI_Irecv(buf, n, MPI_BYTE, 1, 0, comm, &req);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
        }
    else if (rank == 1)
        for (long i = 0; i < iters; i++) {
            MPI_Irecv(buf, n, MPI_BYTE, 0, 0, comm, &req);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
            MPI_Isend(buf, n, MPI_BYTE, 0, 0, comm, &req);
            MPI_Wait(&req, MPI_STATUS_IGNORE);
        }
    return 2;
}

/* The persistent requests live across the repetitions of a point, as in cases.py. */
static MPI_Request psend = MPI_REQUEST_NULL, precv = MPI_REQUEST_NULL;

static int k_persistent(char *buf, long size, long iters, int rank) {
    (void)buf, (void)size;
    MPI_Request first = rank == 0 ? psend : precv, second = rank == 0 ? precv : psend;
    if (rank > 1) return 2;
    for (long i = 0; i < iters; i++) {
        MPI_Start(&first);
        MPI_Wait(&first, MPI_STATUS_IGNORE);
        MPI_Start(&second);
        MPI_Wait(&second, MPI_STATUS_IGNORE);
    }
    return 2;
}

static void persistent_setup(char *buf, long size, int rank) {
    if (rank > 1) return;
    int peer = 1 - rank;
    MPI_Send_init(buf, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &psend);
    MPI_Recv_init(buf, (int)size, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &precv);
}

static void persistent_free(void) {
    if (psend != MPI_REQUEST_NULL) MPI_Request_free(&psend);
    if (precv != MPI_REQUEST_NULL) MPI_Request_free(&precv);
}

static int k_barrier(char *buf, long size, long iters, int rank) {
    (void)buf, (void)size, (void)rank;
    for (long i = 0; i < iters; i++) MPI_Barrier(MPI_COMM_WORLD);
    return 1;
}

/* Collectives of `size` bytes from every process, as in cases.py: Bcast from rank 0,
 * Allreduce of size/8 doubles (MPI_SUM), Allgather into a buffer of size * nprocs bytes.
 * The second buffer lives across the repetitions of a point. */
static char *rbuf = NULL;

static void recv_setup(char *buf, long size, int rank) {
    (void)buf, (void)rank;
    int nprocs = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    rbuf = alloc_buffer(size * nprocs);
}

static void recv_free(void) {
    free(rbuf);
    rbuf = NULL;
}

static int k_bcast(char *buf, long size, long iters, int rank) {
    (void)rank;
    for (long i = 0; i < iters; i++) MPI_Bcast(buf, (int)size, MPI_BYTE, 0, MPI_COMM_WORLD);
    return 1;
}

static int k_allreduce(char *buf, long size, long iters, int rank) {
    (void)rank;
    int n = size / 8 > 0 ? (int)(size / 8) : 1;
    /* the send buffer is all 0x5a bytes: a finite double, like the ones Python sends */
    for (long i = 0; i < iters; i++)
        MPI_Allreduce(buf, rbuf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return 1;
}

static int k_allgather(char *buf, long size, long iters, int rank) {
    (void)rank;
    for (long i = 0; i < iters; i++)
        MPI_Allgather(buf, (int)size, MPI_BYTE, rbuf, (int)size, MPI_BYTE, MPI_COMM_WORLD);
    return 1;
}

/* noncontig: a non-contiguous part of a large double array, ping-ponged between ranks 0
 * and 1. VALUE 0/1: column 0 of an 8192 x 8192 array; 2/3: the central 256^3 block of a
 * 512^3 array. Even values send it with a derived datatype (vector, subarray), odd values
 * copy it to and from a contiguous buffer with loops, as NumPy's copy would. */
enum { COLUMN_N = 8192, BLOCK_N = 512, BLOCK_SUB = 256 };
static double *nc_array = NULL, *nc_contig = NULL;
static MPI_Datatype nc_type = MPI_DATATYPE_NULL;
static int nc_count = 0;

static void noncontig_setup(char *buf, long value, int rank) {
    (void)buf;
    long total;
    if (value < 2) {
        total = (long)COLUMN_N * COLUMN_N;
        nc_count = COLUMN_N;
        MPI_Type_vector(COLUMN_N, 1, COLUMN_N, MPI_DOUBLE, &nc_type);
    } else {
        int sizes[3] = {BLOCK_N, BLOCK_N, BLOCK_N}, subs[3] = {BLOCK_SUB, BLOCK_SUB, BLOCK_SUB};
        int start = (BLOCK_N - BLOCK_SUB) / 2, starts[3] = {start, start, start};
        total = (long)BLOCK_N * BLOCK_N * BLOCK_N;
        nc_count = BLOCK_SUB * BLOCK_SUB * BLOCK_SUB;
        MPI_Type_create_subarray(3, sizes, subs, starts, MPI_ORDER_C, MPI_DOUBLE, &nc_type);
    }
    MPI_Type_commit(&nc_type);
    nc_array = (double *)alloc_buffer(total * (long)sizeof(double));
    nc_contig = (double *)alloc_buffer((long)nc_count * (long)sizeof(double));
    if (!nc_array || !nc_contig) {
        printf("ERROR cannot allocate the arrays\n");
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    for (long i = 0; i < total; i++) nc_array[i] = rank + 0.5;
}

static void noncontig_free(void) {
    MPI_Type_free(&nc_type);
    free(nc_array);
    free(nc_contig);
    nc_array = nc_contig = NULL;
}

/* Copy the part out of (to_contig) or back into the array. */
static void noncontig_copy(long value, int to_contig) {
    if (value < 2) {
        for (long i = 0; i < COLUMN_N; i++) {
            double *a = &nc_array[i * COLUMN_N];
            if (to_contig)
                nc_contig[i] = *a;
            else
                *a = nc_contig[i];
        }
        return;
    }
    const long n = BLOCK_N, m = BLOCK_SUB, start = (BLOCK_N - BLOCK_SUB) / 2;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < m; j++) {
            double *a = &nc_array[((start + i) * n + start + j) * n + start];
            double *c = &nc_contig[(i * m + j) * m];
            if (to_contig)
                memcpy(c, a, (size_t)m * sizeof(double));
            else
                memcpy(a, c, (size_t)m * sizeof(double));
        }
}

static void noncontig_send(long value, int peer) {
    if (value % 2 == 0) {
        MPI_Send(nc_array, 1, nc_type, peer, 0, MPI_COMM_WORLD);
    } else {
        noncontig_copy(value, 1);
        MPI_Send(nc_contig, nc_count, MPI_DOUBLE, peer, 0, MPI_COMM_WORLD);
    }
}

static void noncontig_recv(long value, int peer) {
    if (value % 2 == 0) {
        MPI_Recv(nc_array, 1, nc_type, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
        MPI_Recv(nc_contig, nc_count, MPI_DOUBLE, peer, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        noncontig_copy(value, 0);
    }
}

static int k_noncontig(char *buf, long value, long iters, int rank) {
    (void)buf;
    if (rank == 0)
        for (long i = 0; i < iters; i++) {
            noncontig_send(value, 1);
            noncontig_recv(value, 1);
        }
    else if (rank == 1)
        for (long i = 0; i < iters; i++) {
            noncontig_recv(value, 0);
            noncontig_send(value, 0);
        }
    return 2;
}

/* One-sided cases, as in cases.py: a window of `size` bytes on every process over
 * page-aligned memory (the kernel's buffer is the origin), living across the repetitions
 * of a point. */
static MPI_Win rma_win = MPI_WIN_NULL;
static char *rma_target = NULL;

static void rma_setup(char *buf, long size, int rank) {
    (void)buf, (void)rank;
    rma_target = alloc_buffer(size);
    memset(rma_target, 0, size > 0 ? (size_t)size : 1);
    MPI_Win_create(rma_target, size, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &rma_win);
}

static void rma_setup8(char *buf, long size, int rank) {
    (void)size;
    rma_setup(buf, 8, rank);
}

static void rma_free(void) {
    MPI_Win_free(&rma_win);
    free(rma_target);
    rma_target = NULL;
}

static int rma_lock(char *buf, long size, long iters, int rank, int get) {
    if (rank != 0) return 1;
    for (long i = 0; i < iters; i++) {
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 1, 0, rma_win);
        if (get)
            MPI_Get(buf, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, rma_win);
        else
            MPI_Put(buf, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, rma_win);
        MPI_Win_unlock(1, rma_win);
    }
    return 1;
}

static int rma_fence(char *buf, long size, long iters, int rank, int get) {
    for (long i = 0; i < iters; i++) {
        MPI_Win_fence(0, rma_win);
        if (rank == 0) {
            if (get)
                MPI_Get(buf, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, rma_win);
            else
                MPI_Put(buf, (int)size, MPI_BYTE, 1, 0, (int)size, MPI_BYTE, rma_win);
        }
        MPI_Win_fence(0, rma_win);
    }
    return 1;
}

static int k_rma_put_lock(char *buf, long size, long iters, int rank) {
    return rma_lock(buf, size, iters, rank, 0);
}
static int k_rma_get_lock(char *buf, long size, long iters, int rank) {
    return rma_lock(buf, size, iters, rank, 1);
}
static int k_rma_put_fence(char *buf, long size, long iters, int rank) {
    return rma_fence(buf, size, iters, rank, 0);
}
static int k_rma_get_fence(char *buf, long size, long iters, int rank) {
    return rma_fence(buf, size, iters, rank, 1);
}

static int k_rma_acc(char *buf, long size, long iters, int rank) {
    double *values = (double *)buf;
    int n = (int)(size / 8);
    if (rank != 0) return 1;
    for (int i = 0; i < n; i++) values[i] = 1.0;
    for (long i = 0; i < iters; i++) {
        MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 1, 0, rma_win);
        MPI_Accumulate(values, n, MPI_DOUBLE, 1, 0, n, MPI_DOUBLE, MPI_SUM, rma_win);
        MPI_Win_unlock(1, rma_win);
    }
    return 1;
}

static int k_rma_fop(char *buf, long size, long iters, int rank) {
    (void)buf, (void)size, (void)rank;
    long long one = 1, result = 0;
    MPI_Win_lock_all(0, rma_win);
    for (long i = 0; i < iters; i++) {
        MPI_Fetch_and_op(&one, &result, MPI_LONG_LONG, 0, 0, MPI_SUM, rma_win);
        MPI_Win_flush(0, rma_win);
    }
    MPI_Win_unlock_all(rma_win);
    return 1;
}

/* Collective I/O (cases.py: setup_io): a global rows x IO_COLS array of doubles, value / 2
 * MiB in all, in one file in /tmp. Even values write it, every rank its block of rows through
 * a subarray view (Write_at_all); odd values read it back, every rank its block of columns
 * (Read_at_all), the file written first (untimed). */
#define IO_COLS 8192
static MPI_File io_file = MPI_FILE_NULL;
static MPI_Datatype io_type = MPI_DATATYPE_NULL;
static char *io_local = NULL;
static long io_count = 0; /* doubles in io_local */
static char io_path[256];

static void io_block(long n, int parts, int index, long *start, long *count) {
    long base = n / parts, extra = n % parts;
    *start = index * base + (index < extra ? index : extra);
    *count = base + (index < extra);
}

static void io_setup(char *buf, long value, int rank) {
    (void)buf;
    int nprocs = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    long rows = (value / 2) * (1L << 20) / 8 / IO_COLS, start = 0, count = 0;
    int writing = value % 2 == 0;
    if (rank == 0) snprintf(io_path, sizeof io_path, "/tmp/mpipy-bench-io-c-%ld", (long)getpid());
    MPI_Bcast(io_path, sizeof io_path, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_File_open(MPI_COMM_WORLD, io_path, MPI_MODE_RDWR | MPI_MODE_CREATE, MPI_INFO_NULL,
                  &io_file);
    if (!writing) {
        io_block(rows * IO_COLS * 8, nprocs, rank, &start, &count);
        char *bytes = alloc_buffer(count);
        MPI_File_write_at_all(io_file, start, bytes, (int)count, MPI_BYTE, MPI_STATUS_IGNORE);
        free(bytes);
    }
    int sizes[2] = {(int)rows, IO_COLS}, subsizes[2], starts[2];
    if (writing) {
        io_block(rows, nprocs, rank, &start, &count);
        subsizes[0] = (int)count, subsizes[1] = IO_COLS, starts[0] = (int)start, starts[1] = 0;
    } else {
        io_block(IO_COLS, nprocs, rank, &start, &count);
        subsizes[0] = (int)rows, subsizes[1] = (int)count, starts[0] = 0, starts[1] = (int)start;
    }
    io_count = (long)subsizes[0] * subsizes[1];
    io_local = alloc_buffer(io_count * 8);
    MPI_Type_create_subarray(2, sizes, subsizes, starts, MPI_ORDER_C, MPI_DOUBLE, &io_type);
    MPI_Type_commit(&io_type);
    MPI_File_set_view(io_file, 0, MPI_DOUBLE, io_type, "native", MPI_INFO_NULL);
}

static void io_free(void) {
    MPI_File_close(&io_file);
    MPI_Type_free(&io_type);
    free(io_local);
    io_local = NULL;
    MPI_Barrier(MPI_COMM_WORLD);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) MPI_File_delete(io_path, MPI_INFO_NULL);
}

static int k_io(char *buf, long value, long iters, int rank) {
    (void)buf;
    (void)rank;
    for (long i = 0; i < iters; i++) {
        if (value % 2 == 0)
            MPI_File_write_at_all(io_file, 0, io_local, (int)io_count, MPI_DOUBLE,
                                  MPI_STATUS_IGNORE);
        else
            MPI_File_read_at_all(io_file, 0, io_local, (int)io_count, MPI_DOUBLE,
                                 MPI_STATUS_IGNORE);
    }
    return 1;
}

/* setup/teardown, where given, run once per point around the timed repetitions. */
static const struct {
    const char *name;
    kernel_fn run;
    int min_procs;
    void (*setup)(char *buf, long size, int rank);
    void (*teardown)(void);
} kernels[] = {
    {"pingpong", k_pingpong, 2, NULL, NULL},
    {"isend", k_isend, 2, NULL, NULL},
    {"persistent", k_persistent, 2, persistent_setup, persistent_free},
    {"barrier", k_barrier, 1, NULL, NULL},
    {"bcast", k_bcast, 1, NULL, NULL},
    {"allreduce", k_allreduce, 1, recv_setup, recv_free},
    {"allgather", k_allgather, 1, recv_setup, recv_free},
    {"noncontig", k_noncontig, 2, noncontig_setup, noncontig_free},
    {"rma_put_lock", k_rma_put_lock, 2, rma_setup, rma_free},
    {"rma_get_lock", k_rma_get_lock, 2, rma_setup, rma_free},
    {"rma_put_fence", k_rma_put_fence, 2, rma_setup, rma_free},
    {"rma_get_fence", k_rma_get_fence, 2, rma_setup, rma_free},
    {"rma_acc", k_rma_acc, 2, rma_setup, rma_free},
    {"rma_fop", k_rma_fop, 1, rma_setup8, rma_free},
    {"io", k_io, 1, io_setup, io_free},
};

static int usage(void) {
    fprintf(stderr, "usage: bench CASE REPS VALUE:ITERS:WARMUP [...]\n"
                    "       bench init | version\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "init") == 0) {
        MPI_Init(&argc, &argv);
        MPI_Finalize();
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        char text[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        MPI_Init(&argc, &argv);
        MPI_Get_library_version(text, &len);
        printf("%s\n", text);
        MPI_Finalize();
        return 0;
    }
    if (argc < 3) return usage();
    size_t which = sizeof kernels / sizeof kernels[0];
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++)
        if (strcmp(argv[1], kernels[i].name) == 0) which = i;
    if (which == sizeof kernels / sizeof kernels[0]) return usage();
    kernel_fn run = kernels[which].run;
    int reps = atoi(argv[2]);
    if (reps < 1) return usage();

    /* The thread level the Python columns run at (mpipy's and mpi4py's default): with MPICH,
     * MPI_THREAD_MULTIPLE alone adds microseconds to a Barrier, which is not Python's doing. */
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    int rank = 0, nprocs = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    if (nprocs < kernels[which].min_procs) {
        if (rank == 0)
            printf("ERROR case %s needs at least %d processes\n", argv[1], kernels[which].min_procs);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double *times = malloc(sizeof(double) * (size_t)reps);
    for (int p = 3; p < argc; p++) {
        long value = 0, iters = 0, warmup = 0;
        if (sscanf(argv[p], "%ld:%ld:%ld", &value, &iters, &warmup) != 3 || iters < 1) {
            if (rank == 0) printf("ERROR bad point %s\n", argv[p]);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        char *buf = alloc_buffer(value);
        if (buf == NULL) {
            printf("ERROR cannot allocate %ld bytes\n", value);
            MPI_Abort(MPI_COMM_WORLD, 3);
        }
        if (kernels[which].setup) kernels[which].setup(buf, value, rank);
        run(buf, value, warmup, rank);
        int per_iter = 1;
        for (int r = 0; r < reps; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = now();
            per_iter = run(buf, value, iters, rank);
            times[r] = (now() - t0) / (double)iters;
        }
        MPI_Barrier(MPI_COMM_WORLD);
        if (kernels[which].teardown) kernels[which].teardown();
        free(buf);
        if (rank == 0) {
            printf("RESULT %ld", value);
            for (int r = 0; r < reps; r++) printf(" %.9e", times[r] / per_iter);
            printf("\n");
            fflush(stdout);
        }
    }
    free(times);
    MPI_Finalize();
    return 0;
}
