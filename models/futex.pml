/*
 * futex.pml: the futex layer of src/internal/futex.ts as every model uses it (included, not a
 * model of its own).
 *
 * Mirrors:
 *   futex_wait   parkSync (futex.ts:306) = Atomics.wait, and runAsync (futex.ts:808-810), which
 *                counts itself in the primitive's async-waiter slot around an Atomics.waitAsync
 *                (the async driver's spin before it, `spin` in futex.ts, only reads the slot and
 *                answers as a registration that found it changed, or as a spurious wake: both
 *                outcomes this model already has)
 *   futex_wake   wake (futex.ts:183): wake n, or all while the async-waiter slot is non-zero
 *   futex_notify Atomics.notify(i32, index, n), as wakeAll (futex.ts:190) and the notify in wake
 *
 * The shared memory is `mem[NSLOTS]` (the primitive's Int32Array, small values). Per process p
 * (0 .. NPROC-1), `waitOn[p]` is the slot it is registered on (NONE when not asleep) and
 * `woken[p]` says a notify removed it from that slot's waiter list.
 *
 * Semantics, as the kernel (ECMAScript's WaiterList) gives them:
 * - the compare and the registration are one atomic step: a waiter registers only if the slot
 *   still holds `expected`, else the wait returns "not-equal" at once;
 * - notify(s, n) removes up to n of the waiters registered on s *at that moment* (which ones is
 *   left nondeterministic: the real list is FIFO, the model allows any order) and marks them
 *   woken; a waiter registered later is not reached;
 * - a registered waiter leaves when woken, or spuriously (at most SPURIOUS times in a run, so that
 *   a waiter that would sleep forever still shows as a stuck end state), or when its deadline
 *   passes (timed waits only), or, for the lock word, when the owner poll finds the owner ended.
 *
 * Each model defines NPROC (<= 4), NSLOTS and SPURIOUS before including this file, and sets
 * waitOn[p] = NONE for every p in init.
 */

#define NONE 255
/* WaitResult */
#define OK 0
#define NOT_EQUAL 1
#define TIMED_OUT 2
/* notify count meaning "everyone" (Atomics.notify without a count) */
#define ALL 255

byte mem[NSLOTS];
byte waitOn[NPROC];
bool woken[NPROC];
/* Spurious wake-ups still allowed in this run. */
byte spurious = SPURIOUS;
/* Scratch of futex_notify, used only inside its atomic step. */
hidden byte woke;

/*
 * Atomics.wait(mem, s, expected, timeout) by process p (parkSync, futex.ts:318). `timed`: the
 * wait has a finite deadline; when it passes, `expired` becomes true (deadlines never un-pass).
 * `poll`: an expression that, when true, ends the sleep with "timed-out" (the owner-liveness poll
 * of lockSlow; `false` elsewhere). Sets `result`.
 */
inline futex_wait(p, s, expected, timed, expired, poll, result) {
  /* Compare and register, one step (futex.ts:318 / :719). */
  atomic {
    if
    :: mem[s] != expected -> result = NOT_EQUAL
    :: else -> waitOn[p] = s; result = OK
    fi
  }
  if
  :: result == OK ->
    /* Asleep: leaves on a notify, a spurious wake, its deadline or a successful poll. */
    atomic {
      if
      :: woken[p] -> skip
      :: spurious > 0 -> spurious--
      :: timed -> expired = true; result = TIMED_OUT
      :: poll -> result = TIMED_OUT
      fi;
      waitOn[p] = NONE;
      woken[p] = false
    }
  :: else -> skip
  fi
}

/*
 * Atomics.waitAsync as runAsync (futex.ts:808-810) uses it: counted in the async-waiter slot `asl`
 * before registering (:717), uncounted once the wait has settled (:724, :997), a step of its own.
 */
inline futex_wait_async(p, s, expected, asl, timed, expired, poll, result) {
  mem[asl]++;
  futex_wait(p, s, expected, timed, expired, poll, result);
  mem[asl]--
}

#define WAKE_ONE(k) \
  :: waitOn[k] == s -> waitOn[k] = NONE; woken[k] = true

/* Atomics.notify(mem, s, n): wakes up to n of the waiters registered on s now. */
inline futex_notify(s, n) {
  atomic {
    woke = 0;
    do
    :: woke >= n -> break
    :: else ->
      if
      WAKE_ONE(0)
#if NPROC > 1
      WAKE_ONE(1)
#endif
#if NPROC > 2
      WAKE_ONE(2)
#endif
#if NPROC > 3
      WAKE_ONE(3)
#endif
      :: else -> break
      fi;
      woke++
    od;
    woke = 0
  }
}

/*
 * wake(i32, s, n, asl) (futex.ts:183): reads the async-waiter slot (one step), then notifies n,
 * or all while it is non-zero. `wk` is a byte local of the caller.
 */
inline futex_wake(s, n, asl, wk) {
  if
  :: mem[asl] != 0 -> wk = ALL
  :: else -> wk = n
  fi;
  futex_notify(s, wk);
  wk = 0
}
