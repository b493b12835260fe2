// Matched messages: the Message class, MESSAGE_NULL and MESSAGE_NO_PROC.
#include "objects.hpp"

namespace mpipy {

void bind_message(nb::module_ &m) {
    nb::class_<Message> cls(m, "Message", "Matched message.");
    bind_handle_protocol(cls);
    add_constant<Message>(m, "MESSAGE_NULL", MPI_MESSAGE_NULL);
    add_constant<Message>(m, "MESSAGE_NO_PROC", MPI_MESSAGE_NO_PROC);
}

} // namespace mpipy
