#ifndef TUNA_CZEROMQ_SHIM_H
#define TUNA_CZEROMQ_SHIM_H
#include <zmq.h>
#endif
