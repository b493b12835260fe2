// Groups: the Group class (membership, rank translation, comparison, set algebra,
// inclusion and exclusion by ranks or ranges), GROUP_NULL and GROUP_EMPTY.
#include "core/objects.hpp"

#include <nanobind/stl/vector.h>

#include <array>
#include <climits>
#include <vector>

namespace mpipy {

namespace {

MPI_Group group_of(nb::handle obj, const char *what) {
    if (!nb::isinstance<Group>(obj))
        throw nb::type_error((std::string(what) + " must be an MPI.Group").c_str());
    return nb::inst_ptr<Group>(obj)->get();
}

int group_size(MPI_Group group) {
    int size = 0;
    check(MPI_Group_size(group, &size));
    return size;
}

// A sequence of ints, with a TypeError (not nanobind's overload message) for anything else.
std::vector<int> int_list(nb::handle seq, const char *what) {
    if (!PySequence_Check(seq.ptr()) || nb::isinstance<nb::str>(seq))
        throw nb::type_error((std::string(what) + " must be a sequence of integers").c_str());
    std::vector<int> out;
    for (nb::handle item : nb::iter(seq)) {
        if (!PyLong_Check(item.ptr()))
            throw nb::type_error((std::string(what) + " must be a sequence of integers").c_str());
        int overflow = 0;
        long long value = PyLong_AsLongLongAndOverflow(item.ptr(), &overflow);
        if (overflow || value < INT_MIN || value > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError, "rank out of the range of C int");
            throw nb::python_error();
        }
        out.push_back(static_cast<int>(value));
    }
    return out;
}

// MPI leaves ranks outside the group, or repeated, erroneous; some MPIs do not check them
// and corrupt memory instead. Checked here, as MPI_ERR_RANK like the MPIs that do check.
void check_ranks(const std::vector<int> &ranks, int size, bool distinct) {
    std::vector<bool> seen(static_cast<size_t>(size), false);
    for (int r : ranks) {
        if (r < 0 || r >= size) throw MpiError{MPI_ERR_RANK};
        if (distinct) {
            if (seen[static_cast<size_t>(r)]) throw MpiError{MPI_ERR_RANK};
            seen[static_cast<size_t>(r)] = true;
        }
    }
}

// (first, last, stride) triplets, checked as MPI defines them: stride not zero, at least
// one rank per triplet, every rank inside the group and no rank twice.
std::vector<std::array<int, 3>> range_list(nb::handle seq, int size) {
    if (!PySequence_Check(seq.ptr()) || nb::isinstance<nb::str>(seq))
        throw nb::type_error("ranks must be a sequence of (first, last, stride) triplets");
    std::vector<std::array<int, 3>> out;
    std::vector<bool> seen(static_cast<size_t>(size), false);
    for (nb::handle item : nb::iter(seq)) {
        std::vector<int> t = int_list(item, "each range");
        if (t.size() != 3)
            throw nb::value_error("each range must be a (first, last, stride) triplet");
        int first = t[0], last = t[1], stride = t[2];
        if (stride == 0) throw MpiError{MPI_ERR_ARG};
        if (stride > 0 ? first > last : first < last) throw MpiError{MPI_ERR_ARG};  // no rank
        if (first < 0 || first >= size || last < 0 || last >= size) throw MpiError{MPI_ERR_RANK};
        for (long r = first; stride > 0 ? r <= last : r >= last; r += stride) {
            if (seen[static_cast<size_t>(r)]) throw MpiError{MPI_ERR_RANK};
            seen[static_cast<size_t>(r)] = true;
        }
        out.push_back({first, last, stride});
    }
    return out;
}

// A group MPI just made, as an object of the caller's class.
nb::object new_group(MPI_Group g, nb::handle like = nb::handle()) {
    if (like.is_valid()) return new_like<Group>(like, g);
    return new_handle<Group>(g);
}

template <int (*Op)(MPI_Group, MPI_Group, MPI_Group *)>
nb::object set_operation(nb::handle group1, nb::handle group2) {
    require_active();
    MPI_Group g1 = group_of(group1, "group1"), g2 = group_of(group2, "group2");
    MPI_Group out = MPI_GROUP_NULL;
    check(Op(g1, g2, &out));
    return new_group(out);
}

}  // namespace

void bind_group(nb::module_ &m) {
    nb::class_<Group> cls(m, "Group", nb::is_weak_referenceable(), "Group of processes.");
    bind_handle_protocol(cls);
    cls.def(
           "Get_size", [](const Group &self) { return group_size(self.get()); },
           "Return the number of processes in a group.")
        .def(
            "Get_rank",
            [](const Group &self) {
                int rank = 0;
                check(MPI_Group_rank(self.get(), &rank));
                return rank;
            },
            "Return the rank of this process in a group.")
        .def_prop_ro(
            "size", [](nb::handle self) { return self.attr("Get_size")(); }, "Number of processes.")
        .def_prop_ro(
            "rank", [](nb::handle self) { return self.attr("Get_rank")(); },
            "Rank of this process.")
        .def(
            "Translate_ranks",
            [](const Group &self, nb::handle ranks, nb::handle group) {
                MPI_Group g1 = self.get();
                int size = group_size(g1);
                std::vector<int> in;
                if (ranks.is_none())
                    for (int r = 0; r < size; ++r) in.push_back(r);
                else
                    in = int_list(ranks, "ranks");
                for (int r : in)
                    if ((r < 0 || r >= size) && r != MPI_PROC_NULL) throw MpiError{MPI_ERR_RANK};
                std::vector<int> out(in.size(), MPI_UNDEFINED);
                // Without a target group, ranks are translated to those of COMM_WORLD.
                MPI_Group world = MPI_GROUP_NULL;
                MPI_Group g2 = MPI_GROUP_NULL;
                if (group.is_none()) {
                    check(MPI_Comm_group(MPI_COMM_WORLD, &world));
                    g2 = world;
                } else {
                    g2 = group_of(group, "group");
                }
                // PROC_NULL translates to itself (MPI-2.2); not every MPI does it for every
                // target group (Open MPI and GROUP_EMPTY), so it is done here.
                std::vector<int> real, where;
                for (size_t i = 0; i < in.size(); ++i)
                    if (in[i] == MPI_PROC_NULL) {
                        out[i] = MPI_PROC_NULL;
                    } else {
                        real.push_back(in[i]);
                        where.push_back(static_cast<int>(i));
                    }
                std::vector<int> translated(real.size(), MPI_UNDEFINED);
                int rc = MPI_SUCCESS;
                if (!real.empty())
                    rc = MPI_Group_translate_ranks(g1, static_cast<int>(real.size()), real.data(),
                                                   g2, translated.data());
                if (world != MPI_GROUP_NULL) MPI_Group_free(&world);
                check(rc);
                for (size_t i = 0; i < real.size(); ++i)
                    out[static_cast<size_t>(where[i])] = translated[i];
                return out;
            },
            nb::arg("ranks").none() = nb::none(), nb::arg("group").none() = nb::none(),
            "Translate ranks in a group to those in another group.")
        .def(
            "Compare",
            [](const Group &self, nb::handle group) {
                MPI_Group g1 = self.get(), g2 = group_of(group, "group");
                int result = MPI_UNEQUAL;
                check(MPI_Group_compare(g1, g2, &result));
                return result;
            },
            nb::arg("group"), "Compare two groups.")
        .def(
            "Dup",
            [](nb::handle self) {
                // MPI has no group duplication: the union with the empty group is a copy.
                MPI_Group g = nb::inst_ptr<Group>(self)->get(), out = MPI_GROUP_NULL;
                check(MPI_Group_union(g, MPI_GROUP_EMPTY, &out));
                return new_group(out, self);
            },
            "Duplicate a group.")
        .def_static("Union", &set_operation<MPI_Group_union>, nb::arg("group1"), nb::arg("group2"),
                    "Create a new group from the union of two existing groups.")
        .def_static("Intersection", &set_operation<MPI_Group_intersection>, nb::arg("group1"),
                    nb::arg("group2"),
                    "Create a new group from the intersection of two existing groups.")
        .def_static("Intersect", &set_operation<MPI_Group_intersection>, nb::arg("group1"),
                    nb::arg("group2"),
                    "Create a new group from the intersection of two existing groups.")
        .def_static("Difference", &set_operation<MPI_Group_difference>, nb::arg("group1"),
                    nb::arg("group2"),
                    "Create a new group from the difference of two existing groups.")
        .def(
            "Incl",
            [](nb::handle self, nb::handle ranks) {
                MPI_Group g = nb::inst_ptr<Group>(self)->get(), out = MPI_GROUP_NULL;
                std::vector<int> r = int_list(ranks, "ranks");
                check_ranks(r, group_size(g), true);
                check(MPI_Group_incl(g, static_cast<int>(r.size()), r.data(), &out));
                return new_group(out, self);
            },
            nb::arg("ranks"), "Create a new group by including ranks of an existing group.")
        .def(
            "Excl",
            [](nb::handle self, nb::handle ranks) {
                MPI_Group g = nb::inst_ptr<Group>(self)->get(), out = MPI_GROUP_NULL;
                std::vector<int> r = int_list(ranks, "ranks");
                check_ranks(r, group_size(g), true);
                check(MPI_Group_excl(g, static_cast<int>(r.size()), r.data(), &out));
                return new_group(out, self);
            },
            nb::arg("ranks"), "Create a new group by excluding ranks of an existing group.")
        .def(
            "Range_incl",
            [](nb::handle self, nb::handle ranks) {
                MPI_Group g = nb::inst_ptr<Group>(self)->get(), out = MPI_GROUP_NULL;
                auto r = range_list(ranks, group_size(g));
                check(MPI_Group_range_incl(g, static_cast<int>(r.size()),
                                           reinterpret_cast<int (*)[3]>(r.data()), &out));
                return new_group(out, self);
            },
            nb::arg("ranks"), "Create a new group by including ranges of ranks.")
        .def(
            "Range_excl",
            [](nb::handle self, nb::handle ranks) {
                MPI_Group g = nb::inst_ptr<Group>(self)->get(), out = MPI_GROUP_NULL;
                auto r = range_list(ranks, group_size(g));
                check(MPI_Group_range_excl(g, static_cast<int>(r.size()),
                                           reinterpret_cast<int (*)[3]>(r.data()), &out));
                return new_group(out, self);
            },
            nb::arg("ranks"), "Create a new group by excluding ranges of ranks.")
        .def(
            "Free",
            [](Group &self) {
                MPI_Group g = self.get();
                if (self.predefined) throw MpiError{MPI_ERR_GROUP};
                // An object holding GROUP_EMPTY lets go of it without freeing it: Open MPI
                // crashes freeing it more often than it handed it out.
                if (g == MPI_GROUP_EMPTY)
                    g = MPI_GROUP_NULL;
                else {
                    const MPI_Group freed = g;
                    check(MPI_Group_free(&g));
                    FreedHandles<GroupKind>::freed(freed);
                }
                self.handle = g;
            },
            "Free a group.");
#if MPIPY_HAVE_SESSIONS
    cls.def_static(
        "Create_from_session_pset",
        [](nb::handle session, nb::handle pset_name) {
            require_active();
            if (!nb::isinstance<Session>(session))
                throw nb::type_error("session must be an MPI.Session");
            MPI_Session s = nb::inst_ptr<Session>(session)->get();
            std::string name = str_arg(pset_name, "pset_name");
            MPI_Group out = MPI_GROUP_NULL;
            check(MPI_Group_from_session_pset(s, name.c_str(), &out));
            return new_group(out);
        },
        nb::arg("session"), nb::arg("pset_name"),
        "Create a new group from session and process set.");
#endif
    add_constant<Group>(m, "GROUP_NULL", MPI_GROUP_NULL);
    add_constant<Group>(m, "GROUP_EMPTY", MPI_GROUP_EMPTY);
}

}  // namespace mpipy
