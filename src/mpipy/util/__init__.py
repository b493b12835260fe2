"""Utilities on top of mpipy.MPI: ``pkl5`` (pickle protocol 5 transport), ``sync``
(synchronization over one-sided communication)."""
