"""``python -m mpipy``: run a program under MPI, aborting the job if any rank fails."""

if __name__ == "__main__":
    from mpipy.run import main

    main()
