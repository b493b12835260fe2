/* The C counterparts of loops.py (all but objects), for count.sh. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    const char *pattern = argv[1];
    long n = atol(argv[2]);
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    double sbuf = 0, rbuf = 0;
    MPI_Request r, s;
    double *base = NULL;
    MPI_Win win = MPI_WIN_NULL;
    if (strncmp(pattern, "rma_", 4) == 0) {
        MPI_Win_allocate(8, 8, MPI_INFO_NULL, MPI_COMM_SELF, &base, &win);
        MPI_Win_lock_all(0, win);
    }
    double rbufs[32];
    MPI_Request many[64];
    MPI_Status status;
    MPI_Message message;
    int flag, index;
    if (strcmp(pattern, "iprobe") == 0 || strcmp(pattern, "probe") == 0)
        MPI_Isend(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &s);
    if (strcmp(pattern, "persistent") == 0 || strcmp(pattern, "startall") == 0) {
        MPI_Send_init(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &s);
        MPI_Recv_init(&rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &r);
    }
    for (long i = 0; i < n; i++) {
        if (strcmp(pattern, "send_recv") == 0) {
            MPI_Send(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF);
            MPI_Recv(&rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "isend_irecv") == 0) {
            MPI_Irecv(&rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &r);
            MPI_Isend(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &s);
            MPI_Wait(&s, MPI_STATUS_IGNORE);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "barrier") == 0) {
            MPI_Barrier(MPI_COMM_SELF);
        } else if (strcmp(pattern, "bcast") == 0) {
            MPI_Bcast(&sbuf, 1, MPI_DOUBLE, 0, MPI_COMM_SELF);
        } else if (strcmp(pattern, "allreduce") == 0) {
            MPI_Allreduce(&sbuf, &rbuf, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_SELF);
        } else if (strcmp(pattern, "allgather") == 0) {
            MPI_Allgather(&sbuf, 1, MPI_DOUBLE, &rbuf, 1, MPI_DOUBLE, MPI_COMM_SELF);
        } else if (strcmp(pattern, "ibcast") == 0) {
            MPI_Ibcast(&sbuf, 1, MPI_DOUBLE, 0, MPI_COMM_SELF, &r);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "sendrecv") == 0) {
            MPI_Sendrecv(&sbuf, 1, MPI_DOUBLE, 0, 0, &rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF,
                         MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "waitall64") == 0) {
            for (int k = 0; k < 32; k++)
                MPI_Irecv(&rbufs[k], 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &many[k]);
            for (int k = 0; k < 32; k++)
                MPI_Isend(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &many[32 + k]);
            MPI_Waitall(64, many, MPI_STATUSES_IGNORE);
        } else if (strcmp(pattern, "test_testany") == 0) {
            MPI_Irecv(&rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &r);
            MPI_Isend(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, &s);
            MPI_Test(&s, &flag, MPI_STATUS_IGNORE);
            MPI_Testany(1, &r, &index, &flag, MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "iprobe") == 0) {
            MPI_Iprobe(0, 0, MPI_COMM_SELF, &flag, &status);
        } else if (strcmp(pattern, "probe") == 0) {
            MPI_Probe(0, 0, MPI_COMM_SELF, &status);
        } else if (strcmp(pattern, "mprobe") == 0) {
            MPI_Send(&sbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF);
            MPI_Mprobe(0, 0, MPI_COMM_SELF, &message, &status);
            MPI_Mrecv(&rbuf, 1, MPI_DOUBLE, &message, MPI_STATUS_IGNORE);
        } else if (strcmp(pattern, "startall") == 0) {
            many[0] = r;
            many[1] = s;
            MPI_Startall(2, many);
            MPI_Waitall(2, many, MPI_STATUSES_IGNORE);
        } else if (strcmp(pattern, "rma_put") == 0) {
            MPI_Put(&sbuf, 1, MPI_DOUBLE, 0, 0, 1, MPI_DOUBLE, win);
            MPI_Win_flush(0, win);
        } else if (strcmp(pattern, "rma_get") == 0) {
            MPI_Get(&rbuf, 1, MPI_DOUBLE, 0, 0, 1, MPI_DOUBLE, win);
            MPI_Win_flush(0, win);
        } else if (strcmp(pattern, "rma_fop") == 0) {
            MPI_Fetch_and_op(&sbuf, &rbuf, MPI_DOUBLE, 0, 0, MPI_SUM, win);
            MPI_Win_flush(0, win);
        } else {
            MPI_Start(&r);
            MPI_Start(&s);
            MPI_Wait(&s, MPI_STATUS_IGNORE);
            MPI_Wait(&r, MPI_STATUS_IGNORE);
        }
    }
    if (win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(win);
        MPI_Win_free(&win);
    }
    if (strcmp(pattern, "iprobe") == 0 || strcmp(pattern, "probe") == 0) {
        MPI_Recv(&rbuf, 1, MPI_DOUBLE, 0, 0, MPI_COMM_SELF, MPI_STATUS_IGNORE);
        MPI_Wait(&s, MPI_STATUS_IGNORE);
    }
    if (strcmp(pattern, "persistent") == 0 || strcmp(pattern, "startall") == 0) {
        MPI_Request_free(&s);
        MPI_Request_free(&r);
    }
    MPI_Finalize();
    return 0;
}
