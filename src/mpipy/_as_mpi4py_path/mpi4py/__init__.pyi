from mpipy import *  # noqa: F403 (this package hands over to mpipy)
