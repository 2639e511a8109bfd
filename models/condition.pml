/*
 * condition.pml: the ticket protocol of src/condition.ts.
 *
 * Mirrors (see models/README.md for the line table):
 *   cond_ticket    Condition#ticket (condition.ts:304-318)
 *   cond_wait      Condition#waitSlow (condition.ts:321-368), as waitSync drives it
 *   cond_pass_gone gone (condition.ts:108-116) and passGone (condition.ts:123-129)
 *   cond_cancel    cancel (condition.ts:135-138)
 *   cond_notify    Condition.notify (condition.ts:456-482)
 *   consumer       waitForSync (condition.ts:415-426) around a shared item count
 *
 * The condition's lock is modelled as an atomic test-and-set (`lk`): lock_word.pml verifies the
 * lock word on its own, and the ticket protocol only needs "one holder at a time, a blocked
 * acquire proceeds once it is free". NEXT, ADMIT and the OWNER entries are plain variables
 * (changed only with the lock held; ADMIT is also read without it). WAKES = 2 wake slots (the
 * futex slots mem[0..1]) and WINDOW = 4, so tickets share wake slots and OWNER entries wrap, as
 * with 32 and 1024 in the code. Tickets do not wrap mod 2^32 in these bounded runs.
 *
 * Liveness (`lifeOf`, ident.ts:225) is `dead[ident]`, which only goes false → true. Consumer B is
 * mortal (MORTAL_B, default 1): its thread may be killed while it waits and its ticket is not
 * admitted — before it sleeps, or while asleep (the futex's `poll` stands for the kill ending
 * the sleep; the kill follows at once) — never while it holds the lock (that is the lock word's
 * owner death, verified in lock_word.pml). A kill during a notify, or after B's ticket was
 * admitted, is not modelled: the notify may then go to B, as it goes to any thread that dies
 * just after being notified, and no protocol can tell a thread about to die from one that runs
 * on; the code promises only that a notify skips a waiter that ended before it.
 *
 * Workload: a producer adds PRODUCE items, notify(1) after each; consumer A (no timeout) takes
 * WANT_A items; consumer B (with a deadline, mortal) takes one, gives up, or is killed. Every run
 * can end: B's timeouts and death leave items for A, and a lost wake-up leaves A asleep with an
 * item there (an invalid end state).
 *
 * Properties: notify(n) admits exactly the next min(n, live) live tickets, a live ticket being
 * one whose waiter neither left unnotified nor was killed (a ghost count over the tickets,
 * independent of notify's own loop); a wait returns true only for a notify (ghost
 * `trueReturns` <= notifications granted); no invalid end state (no lost wake-up, no deadlock).
 *
 * Reading the wake slot before the lock goes (:332) is more than needed: the model verifies
 * with the read anywhere before the waiter's ADMIT check; what matters is "WAKE read before
 * ADMIT, ADMIT stored before WAKE bumped" (the invariant at :26-27).
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_BUMP_BEFORE_ADMIT  notify bumps and wakes the slots before it stores ADMIT (:475)
 *   MUTANT_READ_SLOT_AFTER_ADMIT  the waiter reads its wake slot after it reads ADMIT, just
 *                             before sleeping (instead of :332 and :342)
 *   MUTANT_NO_CANCEL          a timed-out waiter leaves its ticket live (:361)
 *   MUTANT_COUNT_CANCELLED    notify counts cancelled tickets among the n it admits (:471)
 *   MUTANT_COUNT_DEAD         notify counts (and wakes) the tickets of killed waiters, as the
 *                             code did before issue 10 (:471, gone's liveness check at :113)
 */

#define NPROC 3
#define WAKES 2
#define WINDOW 4
#define NSLOTS WAKES
#define SPURIOUS 1
#ifndef PRODUCE
#define PRODUCE 3
#endif
#ifndef WANT_A
#define WANT_A 2
#endif
#ifndef MORTAL_B
#define MORTAL_B 1
#endif

#include "futex.pml"

/* The condition's lock: 0 free, else the holder's ident. */
byte lk;
/* Condition slots (condition.ts:5-11): OWNER[t % WINDOW] = ident of ticket t's waiter, 0 once
   cancelled. */
byte NEXT, ADMIT;
byte owner[WINDOW];
/* lifeOf(ident) == LIFE_ENDED, by ident (1..NPROC). */
bool dead[NPROC + 1];
/* Ghost: a notify is running (kills are not modelled inside one; see above). */
bool notifying;
/* The predicate's state: items available. */
byte items;
/* Ghosts: notifications granted (n of each notify, bounded by the live tickets) and waits that
   returned true. */
byte granted, trueReturns;

inline lock_acquire() { atomic { lk == 0 -> lk = me } }
inline lock_release() { assert(lk == me); lk = 0 }

#define admitted(t) ((t) < ADMIT)
/* The spec of a live ticket (ghost checks only): its waiter did not leave and was not killed. */
#define LIVE(t) (owner[(t) % WINDOW] != 0 && !dead[owner[(t) % WINDOW]])
/* Whether this waiter's thread may be killed now (see above). */
#define KILLABLE (mortal && !notifying && !admitted(t))

/* passGone (condition.ts:123), lock held: ADMIT past the gone tickets at its head. */
inline cond_pass_gone() {
  atomic {
    admit = ADMIT;                                      /* :125-126 */
    do
    :: admit != NEXT && owner[admit % WINDOW] == 0 ->   /* :127, gone :111 */
      admit++
    :: admit != NEXT && owner[admit % WINDOW] != 0 && dead[owner[admit % WINDOW]] ->
      owner[admit % WINDOW] = 0;                        /* gone :113-114 */
      admit++
    :: else -> break
    od;
    ADMIT = admit;                                      /* :128 */
    admit = 0
  }
}

/* #ticket (condition.ts:304), lock held. */
inline cond_ticket() {
  t = NEXT;
  if
  :: t - ADMIT >= WINDOW -> cond_pass_gone()            /* :307-309 full: pass gone tickets */
  :: else -> skip
  fi;
  atomic {
    assert(t - ADMIT < WINDOW);                         /* :310 at most WINDOW outstanding */
    owner[t % WINDOW] = me;                             /* :315 */
    NEXT = t + 1                                        /* :316 */
  }
}

/* cancel(i32, t) (condition.ts:135), lock held. */
inline cond_cancel() {
  owner[t % WINDOW] = 0;                                /* :136 */
  cond_pass_gone()                                      /* :137 */
}

/* waitSync: #ticket then #waitSlow (condition.ts:381-382, :321-368). Sets `notified`. */
inline cond_wait() {
  cond_ticket();
  slot = t % WAKES;                                     /* :326 */
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
  expected = mem[slot];                                 /* :332 before the lock goes */
#endif
  lock_release();                                       /* :333 _releaseSave */
  do
  :: admitted(t) -> break                               /* :337 */
  :: else ->
    if                                                  /* killed before it sleeps */
    :: atomic { KILLABLE -> dead[me] = true }; goto died
    :: true -> skip
    fi;
    if                                                  /* :338 the deadline may pass */
    :: timed && !expired -> expired = true
    :: true -> skip
    fi;
    if
    :: expired -> break                                 /* :338 */
    :: else ->
#ifdef MUTANT_READ_SLOT_AFTER_ADMIT
      expected = mem[slot];
#endif
      /* :341; the poll: killed while asleep */
      futex_wait(me - 1, slot, expected, timed, expired, KILLABLE, res);
      if
      :: res == TIMED_OUT && !expired ->                /* the kill ended the sleep */
        if
        :: atomic { KILLABLE -> dead[me] = true }; goto died
        :: else -> skip                                 /* a notify came first: a wake-up */
        fi
      :: else -> skip
      fi;
#ifndef MUTANT_READ_SLOT_AFTER_ADMIT
      atomic { expected = mem[slot]; res = OK }         /* :342 */
#else
      res = OK
#endif
    fi
  od;
  lock_acquire();                                       /* :354 _acquireRestore, no timeout */
  notified = admitted(t);                               /* :360 */
  if
  :: !notified ->
#ifndef MUTANT_NO_CANCEL
    cond_cancel()                                       /* :361 */
#else
    skip
#endif
  :: else -> trueReturns++; assert(trueReturns <= granted)
  fi;
  atomic { t = 0; slot = 0; expected = 0 }
}

/* notify(n) (condition.ts:456), lock held. */
inline cond_notify(n) {
  atomic {
    notifying = true;
    first = ADMIT;                                      /* :465 */
    admit = first;                                      /* :469 */
    live = 0;
    do
    :: live < n && admit != NEXT ->                     /* :470 */
#ifdef MUTANT_COUNT_CANCELLED
      live++;
#else
      if
      :: owner[admit % WINDOW] == 0 -> skip             /* :471 gone: cancelled (:111) */
#ifndef MUTANT_COUNT_DEAD
      :: owner[admit % WINDOW] != 0 && dead[owner[admit % WINDOW]] ->
        owner[admit % WINDOW] = 0                       /* :471 gone: ended, cleared (:113-114) */
#endif
      :: else -> live++
      fi;
#endif
      admit++
    :: else -> break
    od;
    granted = granted + live;
    /* Ghost check of the spec: the tickets admitted now are exactly the next min(n, live
       outstanding) live ones. */
    live = 0;
    tw = first;
    do
    :: tw != NEXT ->
      if
      :: LIVE(tw) && tw < admit -> live++; outstanding++
      :: LIVE(tw) && tw >= admit -> outstanding++
      :: else -> skip
      fi;
      tw++
    :: else -> break
    od;
    assert(live == (outstanding < n -> outstanding : n));
    live = 0;
    outstanding = 0;
    tw = 0
  }
  if
  :: admit == first -> skip                             /* :473 */
  :: else ->
#ifndef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;                                      /* :475 publish before any wake */
#endif
    tw = first;
    do
    :: tw != admit ->                                   /* :476 */
      if
      :: owner[tw % WINDOW] == 0 -> skip                /* :477 */
      :: else ->
        mem[tw % WAKES]++;                              /* :479 */
        futex_notify(tw % WAKES, ALL)                   /* :480 wakeAll */
      fi;
      tw++
    :: else -> break
    od;
#ifdef MUTANT_BUMP_BEFORE_ADMIT
    ADMIT = admit;
#endif
    tw = 0
  fi;
  atomic { first = 0; admit = 0; notifying = false }
}

proctype Producer(byte me) {
  byte first, admit, live, outstanding, tw, i;
  do
  :: i == PRODUCE -> break
  :: else ->
    i++;
    lock_acquire();
    items++;
    cond_notify(1);
    lock_release()
  od
}

/* Takes `want` items, waiting with waitForSync; with `timed`, may give up (and stops); with
   `mortal`, may be killed inside a wait (and stops, its ticket left behind). */
proctype Consumer(byte me; byte want; bool timed; bool mortal) {
  byte t, slot, expected, res, admit, got;
  bool expired, notified, gaveUp;
  do
  :: got == want || gaveUp -> break
  :: else ->
    lock_acquire();
    do                                                  /* waitForSync (:415) */
    :: items > 0 -> items--; got++; break               /* predicate() */
    :: else ->
      if                                                /* :420-421 remaining <= 0 */
      :: timed && !expired -> expired = true
      :: true -> skip
      fi;
      if
      :: expired -> gaveUp = true; break
      :: else -> cond_wait(); notified = false          /* :422 */
      fi
    od;
    lock_release()
  od;
died:
  skip
}

init {
  atomic {
    byte k;
    for (k : 0 .. NPROC - 1) {
      waitOn[k] = NONE
    }
    run Producer(1);
    run Consumer(2, WANT_A, false, false);
    run Consumer(3, 1, true, MORTAL_B)
  }
}
