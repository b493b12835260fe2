// Requests: the Request, Prequest and Grequest classes and REQUEST_NULL.
#include "objects.hpp"

namespace mpipy {

void bind_request(nb::module_ &m) {
    nb::class_<Request> cls(m, "Request", "Request handler.");
    bind_handle_protocol(cls);
    cls.def(
        "Free",
        [](Request &self) {
            MPI_Request request = self.get();
            check(MPI_Request_free(&request));
            self.handle = request;
        },
        "Free a communication request.");
    nb::class_<Prequest, Request> prequest(m, "Prequest", "Persistent request handler.");
    bind_handle_init<Request>(prequest);
    nb::class_<Grequest, Request> grequest(m, "Grequest", "Generalized request handler.");
    bind_handle_init<Request>(grequest);
    add_constant<Request>(m, "REQUEST_NULL", MPI_REQUEST_NULL);
}

} // namespace mpipy
