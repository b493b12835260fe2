// Virtual topologies: Cartesian, graph and distributed-graph communicators, their
// constructors on Intracomm, queries, Compute_dims, and the Topocomm neighbourhood queries.
#include "core/objects.hpp"

#include <nanobind/stl/pair.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <climits>
#include <vector>

namespace mpipy {

namespace {

// The array of a vector for MPI: never a null pointer, even when empty (MPICH rejects a
// null pointer for an array of zero entries, e.g. the edges of a graph without edges).
int *arr(std::vector<int> &v) {
    static int none[1] = {0};
    return v.empty() ? none : v.data();
}

// An int argument (an item of a list of ranks, dims...): TypeError for a non-integer,
// OverflowError beyond the C int.
int int_item(nb::handle item, const char *what) {
    const long long v = index_arg(item, what);
    if (v < INT_MIN || v > INT_MAX)
        raise_error(PyExc_OverflowError,
                    std::string(what) + ": " + std::to_string(v) + " does not fit in a C int");
    return static_cast<int>(v);
}

std::vector<int> ints(nb::handle seq, const char *what) {
    std::vector<int> out;
    if (seq.is_none()) return out;
    if (PyLong_Check(seq.ptr())) {  // a single number stands for a one-element sequence
        out.push_back(int_item(seq, what));
        return out;
    }
    nb::object fast = nb::steal(PySequence_Fast(seq.ptr(), ""));
    if (!fast.is_valid()) {
        PyErr_Clear();
        raise_error(PyExc_TypeError, std::string(what) + " must be a sequence of integers, not " +
                                         type_name_of(seq));
    }
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
    for (Py_ssize_t i = 0; i < n; ++i)
        out.push_back(int_item(PySequence_Fast_GET_ITEM(fast.ptr(), i), what));
    return out;
}

// Neighbours named by rank must be processes of the communicator (of the graph's nodes, for
// Create_graph's edges): MPIs do not all check, and take a bad one to a crash or a hang later.
void check_ranks(const std::vector<int> &ranks, int size) {
    for (int r : ranks)
        if (r < 0 || r >= size) throw MpiError{MPI_ERR_RANK};
}
int size_of(MPI_Comm comm) {
    int size = 0;
    check(MPI_Comm_size(comm, &size));
    return size;
}

std::vector<int> flags(nb::handle seq, size_t n, const char *what) {
    std::vector<int> out;
    if (seq.is_none()) return std::vector<int>(n, 0);
    if (PyBool_Check(seq.ptr()) || PyLong_Check(seq.ptr()))
        return std::vector<int>(n, PyObject_IsTrue(seq.ptr()));
    for (nb::handle item : seq) {
        int t = PyObject_IsTrue(item.ptr());
        if (t < 0) throw nb::python_error();
        out.push_back(t);
    }
    if (out.size() != n)
        throw nb::value_error(
            (std::string(what) + ": expecting " + std::to_string(n) + " values").c_str());
    return out;
}

template <class T> nb::object finish_new(MPI_Comm out) {
    set_default_errhandler(out);
    if (out == MPI_COMM_NULL) return new_handle<Comm>(out);
    return new_handle<T>(out);
}

// Weights as MPI takes them: None or MPI.UNWEIGHTED for none, MPI.WEIGHTS_EMPTY for an
// empty list (of a process without edges), else one per edge.
bool is_address(nb::handle obj, const void *address) {
    if (!PyLong_Check(obj.ptr())) return false;
    void *p = PyLong_AsVoidPtr(obj.ptr());
    if (!p && PyErr_Occurred()) PyErr_Clear();  // no address: an int out of range
    return p == address;
}
const int *weights_arg(nb::handle w, std::vector<int> &storage, size_t expected, const char *what) {
    if (w.is_none() || is_address(w, MPI_UNWEIGHTED)) return MPI_UNWEIGHTED;
    if (is_address(w, MPI_WEIGHTS_EMPTY)) {
        if (expected != 0)
            throw nb::value_error(
                (std::string(what) + ": WEIGHTS_EMPTY but the degree is not 0").c_str());
        return MPI_WEIGHTS_EMPTY;
    }
    storage = ints(w, what);
    if (storage.size() != expected)
        throw nb::value_error(
            (std::string(what) + ": expecting " + std::to_string(expected) + " weights").c_str());
    return storage.empty() ? MPI_WEIGHTS_EMPTY : storage.data();
}

// A graph's index as MPI takes it (entry i: the edges of nodes 0..i). The usual adjacency
// index with a leading 0 and nnodes + 1 entries, ending at the number of edges, is taken too
// (as in mpi4py); a lone [0] stays one node without edges.
std::vector<int> graph_index(nb::handle index, size_t nedges) {
    std::vector<int> i = ints(index, "index");
    if (i.size() > 1 && i.front() == 0 && static_cast<size_t>(i.back()) == nedges)
        i.erase(i.begin());
    return i;
}

struct CartTopo {
    std::vector<int> dims, periods, coords;
};
CartTopo cart_topo(MPI_Comm comm) {
    int n = 0;
    check(MPI_Cartdim_get(comm, &n));
    CartTopo t{std::vector<int>(n), std::vector<int>(n), std::vector<int>(n)};
    check(MPI_Cart_get(comm, n, arr(t.dims), arr(t.periods), arr(t.coords)));
    return t;
}

struct GraphTopo {
    std::vector<int> index, edges;
};
GraphTopo graph_topo(MPI_Comm comm) {
    int nnodes = 0, nedges = 0;
    check(MPI_Graphdims_get(comm, &nnodes, &nedges));
    GraphTopo t{std::vector<int>(nnodes), std::vector<int>(nedges)};
    check(MPI_Graph_get(comm, nnodes, nedges, arr(t.index), arr(t.edges)));
    return t;
}

std::vector<int> graph_neighbors(MPI_Comm comm, int rank) {
    int n = 0;
    check(MPI_Graph_neighbors_count(comm, rank, &n));
    std::vector<int> out(n);
    check(MPI_Graph_neighbors(comm, rank, n, arr(out)));
    return out;
}

// In/out neighbours of any topology, in the order neighbour collectives use.
struct Neighbors {
    std::vector<int> sources, destinations, sourceweights, destweights;
    bool weighted = false;
};
Neighbors neighbors_of(MPI_Comm comm) {
    int topo = MPI_UNDEFINED;
    check(MPI_Topo_test(comm, &topo));
    Neighbors nb_;
    if (topo == MPI_CART) {
        int ndims = 0, rank = 0;
        check(MPI_Cartdim_get(comm, &ndims));
        check(MPI_Comm_rank(comm, &rank));
        for (int d = 0; d < ndims; ++d) {
            int lo = MPI_PROC_NULL, hi = MPI_PROC_NULL;
            check(MPI_Cart_shift(comm, d, 1, &lo, &hi));
            nb_.sources.push_back(lo);
            nb_.sources.push_back(hi);
        }
        nb_.destinations = nb_.sources;
    } else if (topo == MPI_GRAPH) {
        int rank = 0;
        check(MPI_Comm_rank(comm, &rank));
        nb_.sources = graph_neighbors(comm, rank);
        nb_.destinations = nb_.sources;
    } else if (topo == MPI_DIST_GRAPH) {
        int indeg = 0, outdeg = 0, weighted = 0;
        check(MPI_Dist_graph_neighbors_count(comm, &indeg, &outdeg, &weighted));
        nb_.sources.resize(indeg);
        nb_.destinations.resize(outdeg);
        nb_.sourceweights.resize(indeg);
        nb_.destweights.resize(outdeg);
        check(MPI_Dist_graph_neighbors(
            comm, indeg, arr(nb_.sources), weighted ? arr(nb_.sourceweights) : MPI_UNWEIGHTED,
            outdeg, arr(nb_.destinations), weighted ? arr(nb_.destweights) : MPI_UNWEIGHTED));
        nb_.weighted = weighted != 0;
    } else {
        throw MpiError{MPI_ERR_TOPOLOGY};
    }
    return nb_;
}

}  // namespace

// In- and out-degree as neighbour collectives count them: a Cartesian topology has two
// neighbours per dimension, MPI_PROC_NULL ones included.
std::pair<int, int> topology_degrees(MPI_Comm comm) {
    int topo = MPI_UNDEFINED;
    check(MPI_Topo_test(comm, &topo));
    if (topo == MPI_CART) {
        int ndims = 0;
        check(MPI_Cartdim_get(comm, &ndims));
        return {2 * ndims, 2 * ndims};
    }
    if (topo == MPI_GRAPH) {
        int rank = 0, n = 0;
        check(MPI_Comm_rank(comm, &rank));
        check(MPI_Graph_neighbors_count(comm, rank, &n));
        return {n, n};
    }
    if (topo == MPI_DIST_GRAPH) {
        int indeg = 0, outdeg = 0, weighted = 0;
        check(MPI_Dist_graph_neighbors_count(comm, &indeg, &outdeg, &weighted));
        return {indeg, outdeg};
    }
    throw MpiError{MPI_ERR_TOPOLOGY};
}

void bind_topology(nb::module_ &m, CommClasses &classes) {
    m.def(
        "Compute_dims",
        [](int nnodes, nb::handle dims) {
            require_active();
            // (MPICH's MPI_Dims_create never returns for nnodes 0.)
            if (nnodes < 1) throw nb::value_error("nnodes must be positive");
            std::vector<int> d;
            if (PyLong_Check(dims.ptr())) {
                int n = int_item(dims, "dims");
                if (n < 0) throw nb::value_error("number of dimensions must be non-negative");
                d.assign(static_cast<size_t>(n), 0);
            } else {
                d = ints(dims, "dims");
            }
            for (int v : d)
                if (v < 0) throw nb::value_error("dims must be non-negative");
            check(MPI_Dims_create(nnodes, static_cast<int>(d.size()), arr(d)));
            return d;
        },
        nb::arg("nnodes"), nb::arg("dims"),
        "Return a balanced distribution of processes per coordinate direction.");

    classes.intracomm
        .def(
            "Create_cart",
            [](const Intracomm &self, nb::handle dims, nb::handle periods, bool reorder) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                std::vector<int> d = ints(dims, "dims");
                std::vector<int> p = flags(periods, d.size(), "periods");
                check_released([&] {
                    return MPI_Cart_create(comm, static_cast<int>(d.size()), arr(d), arr(p),
                                           reorder ? 1 : 0, &out);
                });
                return finish_new<Cartcomm>(out);
            },
            nb::arg("dims"), nb::arg("periods").none() = nb::none(), nb::arg("reorder") = false,
            "Create cartesian communicator.")
        .def(
            "Cart_map",
            [](const Intracomm &self, nb::handle dims, nb::handle periods) {
                std::vector<int> d = ints(dims, "dims");
                std::vector<int> p = flags(periods, d.size(), "periods");
                int rank = MPI_UNDEFINED;
                check(MPI_Cart_map(self.get(), static_cast<int>(d.size()), arr(d), arr(p), &rank));
                return rank;
            },
            nb::arg("dims"), nb::arg("periods").none() = nb::none(),
            "Determine optimal process placement on a Cartesian topology.")
        .def(
            "Create_graph",
            [](const Intracomm &self, nb::handle index, nb::handle edges, bool reorder) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                std::vector<int> e = ints(edges, "edges"), i = graph_index(index, e.size());
                check_ranks(e, static_cast<int>(i.size()));
                check_released([&] {
                    return MPI_Graph_create(comm, static_cast<int>(i.size()), arr(i), arr(e),
                                            reorder ? 1 : 0, &out);
                });
                return finish_new<Graphcomm>(out);
            },
            nb::arg("index"), nb::arg("edges"), nb::arg("reorder") = false,
            "Create graph communicator.")
        .def(
            "Graph_map",
            [](const Intracomm &self, nb::handle index, nb::handle edges) {
                std::vector<int> e = ints(edges, "edges"), i = graph_index(index, e.size());
                int rank = MPI_UNDEFINED;
                check(MPI_Graph_map(self.get(), static_cast<int>(i.size()), arr(i), arr(e), &rank));
                return rank;
            },
            nb::arg("index"), nb::arg("edges"),
            "Determine optimal process placement on a graph topology.")
        .def(
            "Create_dist_graph_adjacent",
            [](const Intracomm &self, nb::handle sources, nb::handle destinations,
               nb::handle sourceweights, nb::handle destweights, nb::handle info, bool reorder) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                std::vector<int> s = ints(sources, "sources"),
                                 d = ints(destinations, "destinations");
                check_ranks(s, size_of(comm));
                check_ranks(d, size_of(comm));
                std::vector<int> sw, dw;
                const int *swp = weights_arg(sourceweights, sw, s.size(), "sourceweights");
                const int *dwp = weights_arg(destweights, dw, d.size(), "destweights");
                MPI_Info inf = info_arg(info);
                check_released([&] {
                    return MPI_Dist_graph_create_adjacent(comm, static_cast<int>(s.size()), arr(s),
                                                          swp, static_cast<int>(d.size()), arr(d),
                                                          dwp, inf, reorder ? 1 : 0, &out);
                });
                return finish_new<Distgraphcomm>(out);
            },
            nb::arg("sources").none(), nb::arg("destinations").none(),
            nb::arg("sourceweights").none() = nb::none(),
            nb::arg("destweights").none() = nb::none(), nb::arg("info").none() = nb::none(),
            nb::arg("reorder") = false, "Create distributed graph communicator.")
        .def(
            "Create_dist_graph",
            [](const Intracomm &self, nb::handle sources, nb::handle degrees,
               nb::handle destinations, nb::handle weights, nb::handle info, bool reorder) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                std::vector<int> s = ints(sources, "sources"), deg = ints(degrees, "degrees"),
                                 d = ints(destinations, "destinations");
                if (deg.size() != s.size())
                    throw nb::value_error("expecting one degree per source");
                size_t total = 0;
                for (int v : deg) {
                    if (v < 0) throw nb::value_error("degrees must be non-negative");
                    total += static_cast<size_t>(v);
                }
                if (total != d.size())
                    throw nb::value_error("destinations must hold sum(degrees) ranks");
                check_ranks(s, size_of(comm));
                check_ranks(d, size_of(comm));
                std::vector<int> w;
                const int *wp = weights_arg(weights, w, d.size(), "weights");
                MPI_Info inf = info_arg(info);
                check_released([&] {
                    return MPI_Dist_graph_create(comm, static_cast<int>(s.size()), arr(s), arr(deg),
                                                 arr(d), wp, inf, reorder ? 1 : 0, &out);
                });
                return finish_new<Distgraphcomm>(out);
            },
            nb::arg("sources"), nb::arg("degrees"), nb::arg("destinations"),
            nb::arg("weights").none() = nb::none(), nb::arg("info").none() = nb::none(),
            nb::arg("reorder") = false, "Create distributed graph communicator.");

    classes.topocomm
        .def_prop_ro(
            "degrees", [](const Topocomm &self) { return topology_degrees(self.get()); },
            "Number of incoming and outgoing neighbors.")
        .def_prop_ro(
            "indegree", [](const Topocomm &self) { return topology_degrees(self.get()).first; },
            "Number of incoming neighbors.")
        .def_prop_ro(
            "outdegree", [](const Topocomm &self) { return topology_degrees(self.get()).second; },
            "Number of outgoing neighbors.")
        .def_prop_ro(
            "inedges", [](const Topocomm &self) { return neighbors_of(self.get()).sources; },
            "Incoming neighbors.")
        .def_prop_ro(
            "outedges", [](const Topocomm &self) { return neighbors_of(self.get()).destinations; },
            "Outgoing neighbors.")
        .def_prop_ro(
            "inoutedges",
            [](const Topocomm &self) {
                Neighbors n = neighbors_of(self.get());
                return std::make_pair(n.sources, n.destinations);
            },
            "Incoming and outgoing neighbors.");

    classes.cartcomm
        .def(
            "Get_dim",
            [](const Cartcomm &self) {
                int n = 0;
                check(MPI_Cartdim_get(self.get(), &n));
                return n;
            },
            "Return number of dimensions.")
        .def_prop_ro(
            "dim", [](nb::handle self) { return self.attr("Get_dim")(); }, "Number of dimensions.")
        .def_prop_ro(
            "ndim", [](nb::handle self) { return self.attr("Get_dim")(); }, "Number of dimensions.")
        .def(
            "Get_topo",
            [](const Cartcomm &self) {
                CartTopo t = cart_topo(self.get());
                return std::make_tuple(t.dims, t.periods, t.coords);
            },
            "Return information on the cartesian topology.")
        .def_prop_ro(
            "topo", [](nb::handle self) { return self.attr("Get_topo")(); },
            "Topology information.")
        .def_prop_ro(
            "dims", [](const Cartcomm &self) { return cart_topo(self.get()).dims; }, "Dimensions.")
        .def_prop_ro(
            "periods", [](const Cartcomm &self) { return cart_topo(self.get()).periods; },
            "Periodicity.")
        .def_prop_ro(
            "coords", [](const Cartcomm &self) { return cart_topo(self.get()).coords; },
            "Coordinates.")
        .def(
            "Get_cart_rank",
            [](const Cartcomm &self, nb::handle coords) {
                MPI_Comm comm = self.get();
                std::vector<int> c = ints(coords, "coords");
                int n = 0;
                check(MPI_Cartdim_get(comm, &n));
                if (static_cast<int>(c.size()) != n)
                    throw nb::value_error(
                        ("expecting " + std::to_string(n) + " coordinates").c_str());
                int rank = 0;
                check(MPI_Cart_rank(comm, arr(c), &rank));
                return rank;
            },
            nb::arg("coords"), "Translate logical coordinates to ranks.")
        .def(
            "Get_coords",
            [](const Cartcomm &self, int rank) {
                MPI_Comm comm = self.get();
                int n = 0, size = 0;
                check(MPI_Cartdim_get(comm, &n));
                check(MPI_Comm_size(comm, &size));
                if (rank < 0 || rank >= size) throw MpiError{MPI_ERR_RANK};
                std::vector<int> c(n);
                check(MPI_Cart_coords(comm, rank, n, arr(c)));
                return c;
            },
            nb::arg("rank"), "Translate ranks to logical coordinates.")
        .def(
            "Shift",
            [](const Cartcomm &self, int direction, int disp) {
                int source = MPI_PROC_NULL, dest = MPI_PROC_NULL;
                check(MPI_Cart_shift(self.get(), direction, disp, &source, &dest));
                return std::make_pair(source, dest);
            },
            nb::arg("direction"), nb::arg("disp"),
            "Return a process ranks for data shifting with Sendrecv.")
        .def(
            "Sub",
            [](const Cartcomm &self, nb::handle remain_dims) {
                MPI_Comm comm = self.get(), out = MPI_COMM_NULL;
                int n = 0;
                check(MPI_Cartdim_get(comm, &n));
                std::vector<int> r = flags(remain_dims, static_cast<size_t>(n), "remain_dims");
                check_released([&] { return MPI_Cart_sub(comm, arr(r), &out); });
                return finish_new<Cartcomm>(out);
            },
            nb::arg("remain_dims"), "Return a lower-dimensional Cartesian topology.");

    classes.graphcomm
        .def(
            "Get_dims",
            [](const Graphcomm &self) {
                int nnodes = 0, nedges = 0;
                check(MPI_Graphdims_get(self.get(), &nnodes, &nedges));
                return std::make_pair(nnodes, nedges);
            },
            "Return the number of nodes and edges.")
        .def_prop_ro(
            "dims", [](nb::handle self) { return self.attr("Get_dims")(); },
            "Number of nodes and edges.")
        .def_prop_ro(
            "nnodes", [](const Graphcomm &self) { return graph_topo(self.get()).index.size(); },
            "Number of nodes.")
        .def_prop_ro(
            "nedges", [](const Graphcomm &self) { return graph_topo(self.get()).edges.size(); },
            "Number of edges.")
        .def(
            "Get_topo",
            [](const Graphcomm &self) {
                GraphTopo t = graph_topo(self.get());
                return std::make_pair(t.index, t.edges);
            },
            "Return index and edges.")
        .def_prop_ro(
            "topo", [](nb::handle self) { return self.attr("Get_topo")(); },
            "Topology information.")
        .def_prop_ro(
            "index", [](const Graphcomm &self) { return graph_topo(self.get()).index; }, "Index.")
        .def_prop_ro(
            "edges", [](const Graphcomm &self) { return graph_topo(self.get()).edges; }, "Edges.")
        .def(
            "Get_neighbors_count",
            [](const Graphcomm &self, int rank) {
                int n = 0;
                check(MPI_Graph_neighbors_count(self.get(), rank, &n));
                return n;
            },
            nb::arg("rank"), "Return number of neighbors of a process.")
        .def(
            "Get_neighbors",
            [](const Graphcomm &self, int rank) { return graph_neighbors(self.get(), rank); },
            nb::arg("rank"), "Return list of neighbors of a process.")
        .def_prop_ro(
            "nneighbors",
            [](const Graphcomm &self) {
                MPI_Comm comm = self.get();
                int rank = 0, n = 0;
                check(MPI_Comm_rank(comm, &rank));
                check(MPI_Graph_neighbors_count(comm, rank, &n));
                return n;
            },
            "Number of neighbors.")
        .def_prop_ro(
            "neighbors",
            [](const Graphcomm &self) {
                MPI_Comm comm = self.get();
                int rank = 0;
                check(MPI_Comm_rank(comm, &rank));
                return graph_neighbors(comm, rank);
            },
            "Neighbors.");

    classes.distgraphcomm
        .def(
            "Get_dist_neighbors_count",
            [](const Distgraphcomm &self) {
                int indeg = 0, outdeg = 0, weighted = 0;
                check(MPI_Dist_graph_neighbors_count(self.get(), &indeg, &outdeg, &weighted));
                return std::make_tuple(indeg, outdeg, weighted != 0);
            },
            "Return adjacency information for a distributed graph topology.")
        .def(
            "Get_dist_neighbors",
            [](const Distgraphcomm &self) {
                Neighbors n = neighbors_of(self.get());
                nb::object weights = nb::none();
                if (n.weighted)
                    weights = nb::make_tuple(nb::cast(n.sourceweights), nb::cast(n.destweights));
                return nb::make_tuple(nb::cast(n.sources), nb::cast(n.destinations), weights);
            },
            "Return adjacency information for a distributed graph topology.");
}

}  // namespace mpipy
