#ifndef TUNA_SYSTEM_H
#define TUNA_SYSTEM_H

/// Asks the kernel to send `signal` to this process when its parent dies (Linux's
/// PR_SET_PDEATHSIG; prctl is variadic, so Swift cannot call it directly). Returns 0, or -1
/// where the system has no such request.
int tuna_set_parent_death_signal(int signal);

#endif
