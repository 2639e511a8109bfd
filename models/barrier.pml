/*
 * barrier.pml: the actor-death protocol of src/barrier.ts (a cycle whose last arrival, the
 * actor, dies or turns zombie while it holds ACTION), Barrier(2), two cycles.
 *
 * Mirrors (see models/README.md for the line table):
 *   move         move (barrier.ts:260-266): CAS WORD, then SEQ += 1 (the wake-all is the
 *                sleepers' `SEQ != sq`)
 *   (atomic)     arriveLast (:273-291) in A and B: one step with the arrival's reads (below)
 *   alife        actorLife (:297-303): STAMP, then ACTOR's life
 *   finish       finishForActor (:310-328): RELEASING: read CYCLE, re-check WORD (:319), CAS GEN
 *                from CYCLE, move to the next cycle; RUNNING: CAS STAMP to TAKEN, then break;
 *                TAKEN: break
 *   wait_loop    the waiter's loop of #waitSlow (:548-584), which #waitSync's loop (:697-710)
 *                hands every case but the plain sleep to
 *   W's arrival  the arrival loop of #waitSlow (:500-541), for W's arrival at cycle 1: it
 *                waits out a running action, repairing it if its actor has ended
 *   end_cycle    #endCycle (:638-647)
 *   A, B         #release (:593-620) with #claimStamp (:626-630)
 *   R            #transition (:749-761) of abort() (:782-785), or a late arrival's look
 *
 * Processes. WORD = TAG << 8 | BROKEN (128) | ACTION (64) | COUNT; RESETTING is not modelled.
 *   A  the actor of cycle 0 (W has arrived): at any step after its arrival it may be killed
 *      (stops) or turn zombie (marked ENDED, runs on: Deno cannot terminate a busy thread),
 *      once a run; its action may return or throw.
 *   W  a waiter of cycle 0; if it passes, the first arrival of cycle 1 and its waiter.
 *   B  the last arrival (actor) of cycle 1, alive; its action may return or throw.
 *   R  a repairer outside the parties (reset()/abort()'s #transition, or a late arrival), two
 *      looks: an ACTION of an ended actor: finish; else nothing, or abort() (BROKEN on).
 *
 * Atomic steps: each Atomics operation is one step, as in the code. arriveLast's CAS and its
 * stores (ACTOR, CYCLE, STAMP = TAG << 2 | RUNNING) are one step: they run in one function with
 * no call and no loop back edge between them, where a terminated thread cannot stop (the
 * invariant "The actor writes EPOCH, ACTOR, CYCLE, then STAMP"); nobody reads them before
 * STAMP, and a reader that finds STAMP of an older TAG reads the actor as alive (:301), so the
 * window between the CAS and the stores only delays a repair. The arrival's reads of WORD and
 * GEN are in that step too: GEN moves only by the release of the arrival's own cycle, which
 * needs it.
 *
 * Time. Every waiter's park carries pollMs (OWNER_POLL_MS): it looks again every 100 ms. The
 * model keeps only the polls that matter (as lock_word.pml does): a sleeper on SEQ also wakes
 * once WORD holds an ACTION whose actor (STAMP of WORD's TAG, phase not 0) has ended, which is
 * all a look can act on that no SEQ bump reports (the ACTION CAS wakes nobody; an actor killed
 * between its GEN CAS and its move leaves GEN moved without a bump). Any other poll re-reads a
 * state it already judged and sleeps again, so leaving them out loses no run, and a lost
 * wake-up is not hidden behind a 100 ms poll.
 *
 * Checked (ghosts): a waiter passes its cycle only after the cycle's action returned
 * (`actReturned`) and only by its release; a cycle ends once, released (GEN CASed from its GEN)
 * or broken (ACTION off, BROKEN on), never both (`outcome`); no invalid end state (a waiter
 * asleep for ever, e.g. beside an ACTION whose actor died); no non-progress cycle (-DNP, pan -l,
 * no fairness needed: every sleep is a wait for a change). Valid end states: A and B not arrived
 * (the barrier broke before they came).
 *
 * Not modelled: TAG wrap and EPOCH (2 cycles, tags 0 and 1: a STAMP of the right TAG is the
 * actor's own cycle's, so the EPOCH checks of #claimStamp and #endCycle can never fail here:
 * the zombie back after 8192 cycles is left to tests/regressions); more than 2 parties; reset()
 * (RESETTING, and its clearing of BROKEN on a running action); timeouts and aborted signals of
 * the waiters; the arrival's own timeout while it waits out an action; deaths other than A's;
 * async waiters (a park is a sleep on SEQ, whichever way it is driven); spurious wakes.
 *
 * Mutants (spin -DMUTANT_...); tests/models_test.ts asserts spin finds an error in each:
 *   MUTANT_NO_WORD_RECHECK  finishForActor completes a release without re-checking WORD after
 *                           it read CYCLE (:319; 56cf8c7): the next cycle's actor may have stored
 *                           its CYCLE since, and GEN moves for a cycle whose action still runs
 *                           (a waiter of cycle 1 passes before B's action returned)
 *   MUTANT_NO_POLL          a waiter asleep in the filling cycle sleeps on SEQ alone, without
 *                           pollMs (56cf8c7): the ACTION CAS wakes nobody, so when the actor dies
 *                           nobody looks (an invalid end state, W asleep)
 *   MUTANT_ACTOR_STORES     the actor's claim RUNNING -> RELEASING is a plain store, not a CAS: a
 *                           zombie whose cycle was taken (TAKEN) and broken stores RELEASING and
 *                           moves GEN: a broken cycle released too
 */

#define ACT 64
#define BRK 128
#define RUN 1
#define REL 2
#define TKN 3
#define ALIVE 1
#define ENDED 2
#define RELEASED 1
#define BROKE 2
#define TAGOF(x) ((x) >> 8)

short WORD = 1;        /* tag 0, COUNT 1: W has arrived */
byte GEN = 0;
byte SEQ = 0;
byte ACTOR = 0;
byte STAMP = 0;        /* 0: no actor yet (phase 0) */
byte CYCLE = 0;
byte life[3];          /* 1 = A, 2 = B */
bit actReturned[2];    /* ghost: cycle c's action has returned */
byte outcome[3];       /* ghost: RELEASED or BROKE, per cycle */

/* The poll that matters: WORD's ACTION held by an actor that has ended (actorLife's test). */
#define ACTOR_ENDED ((WORD & ACT) != 0 && (STAMP >> 2) == TAGOF(WORD) && (STAMP & 3) != 0 && life[ACTOR] == ENDED)

/* move (:260-266): CAS WORD, then bump SEQ (and wake all). */
inline move(v, to, ok) {
  atomic { if :: WORD == v -> WORD = to; SEQ++; ok = 1 :: else -> ok = 0 fi }
}

/* A break (ACTION off, BROKEN on) by move: ghost, the cycle of `v` broke. */
inline break_cycle(v, ok) {
  atomic {
    if
    :: WORD == v ->
         WORD = (v & ~ACT) | BRK; SEQ++; ok = 1;
         assert(outcome[TAGOF(v)] != RELEASED); outcome[TAGOF(v)] = BROKE
    :: else -> ok = 0
    fi
  }
}

/* The release's GEN CAS from `from` (:320, :617): ghost, cycle `from` released. */
inline cas_gen(from) {
  atomic {
    if
    :: GEN == from ->
         GEN = from + 1;
         assert(outcome[from] != BROKE); outcome[from] = RELEASED
    :: else -> skip
    fi
  }
}

/* finishForActor(v) (:310-328): each shared access its own step. */
inline finish(v, s, c, ok) {
  s = STAMP;                                                  /* :312 */
  if
  :: s == (TAGOF(v) << 2 | REL) ->
       c = CYCLE;                                             /* :316 */
#ifndef MUTANT_NO_WORD_RECHECK
       if :: WORD != v -> goto fdone :: else -> skip fi;      /* :319 */
#endif
       cas_gen(c);                                            /* :320 */
       move(v, (TAGOF(v) + 1) << 8 | (v & BRK), ok)           /* :321 */
  :: else ->
       if
       :: s == (TAGOF(v) << 2 | RUN) ->                       /* :326 claim TAKEN */
            atomic { if :: STAMP == s -> STAMP = TAGOF(v) << 2 | TKN; ok = 1 :: else -> ok = 0 fi };
            if :: ok == 0 -> goto fdone :: else -> skip fi
       :: else -> skip                                        /* TAKEN: finish the break */
       fi;
       break_cycle(v, ok)                                     /* :327 */
  fi;
fdone: skip
}

/* actorLife(v) (:297-303): STAMP, then ACTOR's life. */
inline alife(v, s, l) {
  s = STAMP;
  if :: (s >> 2) != TAGOF(v) || (s & 3) == 0 -> l = ALIVE
     :: else -> l = life[ACTOR] fi
}

/* The waiter's loop (:548-584) for cycle (tag t, gen g); res: 1 passed, 2 left a break. */
inline wait_loop(t, g, v, s, c, l, ok, res, sq) {
  do
  :: sq = SEQ;                                                /* :550 */
     if :: GEN != g -> res = 1; break :: else -> skip fi;     /* :551 */
     v = WORD;                                                /* :552 */
     if :: TAGOF(v) != t -> res = 1; break :: else -> skip fi;  /* :553 */
     if
     :: (v & ACT) ->
          alife(v, s, l);                                     /* :558 */
          if :: l == ENDED -> finish(v, s, c, ok)             /* :559-561 */
             :: else -> (SEQ != sq || ACTOR_ENDED)            /* :562, its liveness poll */
          fi
     :: !(v & ACT) && (v & BRK) ->                            /* :563-569: leave, uncounting */
          atomic { if :: WORD == v -> WORD = v - 1; ok = 1 :: else -> ok = 0 fi };
          if :: ok -> res = 2; break :: else -> skip fi
     :: else ->                                               /* :575, filling */
#ifdef MUTANT_NO_POLL
        (SEQ != sq)
#else
        (SEQ != sq || ACTOR_ENDED)                            /* pollMs (:476) */
#endif
     fi
  od
}

/* #endCycle (:638-647); brk: the break of a throwing action, else the release's move. */
inline end_cycle(t, brk, v, ok) {
  do
  :: v = WORD;                                                /* :641 */
     if
     :: TAGOF(v) != t || !(v & ACT) -> break                  /* :642 */
     :: else ->
          if :: brk -> break_cycle(v, ok)                     /* :645 */
             :: else -> move(v, (t + 1) << 8 | (v & BRK), ok) fi;
          if :: ok -> break :: else -> skip fi
     fi
  od
}

/* #claimStamp (:626-630), RUNNING -> to (EPOCH's check cannot fail here: no TAG wrap). */
inline claim_stamp(t, to, ok) {
  atomic { if :: STAMP == (t << 2 | RUN) -> STAMP = t << 2 | to; ok = 1 :: else -> ok = 0 fi }
}

/* A's death, at most once: killed (stops) or marked ended and running on (a zombie). */
inline maybe_die(me) {
  if
  :: true -> skip
  :: life[me] == ALIVE -> life[me] = ENDED; goto dead     /* killed here */
  :: life[me] == ALIVE -> life[me] = ENDED                /* marked ended, runs on */
  fi
}

active proctype A() {
  short v; bit ok;
  life[1] = ALIVE;
end_arr:
  /* arriveLast (:273-291) with the arrival's reads (:503, :534): GEN 0 */
  atomic { WORD == 1 -> WORD = 1 | ACT; ACTOR = 1; CYCLE = 0; STAMP = 0 << 2 | RUN }
  maybe_die(1);
  if
  :: actReturned[0] = 1                                       /* the action returns */
  :: claim_stamp(0, TKN, ok);                                 /* it throws (:607) */
     if :: ok -> maybe_die(1); end_cycle(0, 1, v, ok) :: else -> skip fi;
     goto dead
  fi;
  maybe_die(1);
#ifdef MUTANT_ACTOR_STORES
  STAMP = 0 << 2 | REL; ok = 1;
#else
  claim_stamp(0, REL, ok);                                    /* :613 */
#endif
  if :: !ok -> goto dead :: else -> skip fi;
  maybe_die(1);
  cas_gen(0);                                                 /* :617 */
  maybe_die(1);
  end_cycle(0, 0, v, ok);                                     /* :618 */
dead: skip
}

active proctype W() {
  short v; byte s, c, l, res, g1, sq; bit ok;
  wait_loop(0, 0, v, s, c, l, ok, res, sq);
  if :: res == 2 -> goto end :: else -> skip fi;
  assert(actReturned[0] && outcome[0] == RELEASED);
  /* cycle 1: arrive first (:500-541), waiting out cycle 0's ACTION if its word still has it */
  do
  :: sq = SEQ;                                                /* :502 */
     v = WORD;                                                /* :503 */
     if
     :: (v & ACT) ->                                          /* :504-528 */
          alife(v, s, l);
          if :: l == ENDED -> finish(v, s, c, ok)
             :: else -> (SEQ != sq || ACTOR_ENDED)
          fi
     :: !(v & ACT) && (v & BRK) -> goto end                   /* :530 */
     :: else ->
          assert(v == 1 << 8);
          g1 = GEN;                                           /* :534 */
          atomic { if :: WORD == v -> WORD = v + 1; ok = 1 :: else -> ok = 0 fi };
          if :: ok -> break :: else -> skip fi
     fi
  od;
  res = 0;
  wait_loop(1, g1, v, s, c, l, ok, res, sq);
  if :: res == 1 -> assert(actReturned[1] && outcome[1] == RELEASED) :: else -> skip fi;
end: skip
}

active proctype B() {
  short v; byte g; bit ok;
  life[2] = ALIVE;
end_fill:
  /* arriveLast with the arrival's reads: W is in cycle 1 */
  atomic { WORD == ((1 << 8) | 1) -> g = GEN; WORD = WORD | ACT; ACTOR = 2; CYCLE = g; STAMP = 1 << 2 | RUN }
  if
  :: actReturned[1] = 1;
     claim_stamp(1, REL, ok);
     if :: ok -> cas_gen(g); end_cycle(1, 0, v, ok) :: else -> skip fi
  :: claim_stamp(1, TKN, ok);                                 /* it throws */
     if :: ok -> end_cycle(1, 1, v, ok) :: else -> skip fi
  fi
}

/* #transition (:749-761) of abort() (:782-785), or a late arrival's look: two looks. */
active proctype R() {
  short v; byte s, c, l; bit ok; byte n = 0;
  do
  :: n < 2 ->
     v = WORD;                                                /* :752 */
     if
     :: (v & ACT) ->
          alife(v, s, l);                                     /* :754 */
          if
          :: l == ENDED -> finish(v, s, c, ok)                /* :755 */
          :: else ->
               if
               :: skip
               :: !(v & BRK) -> move(v, v | BRK, ok)          /* abort: ACTION|BROKEN */
               fi
          fi
     :: else ->
          if
          :: skip
          :: !(v & BRK) -> move(v, v | BRK, ok)               /* abort: BROKEN */
          fi
     fi;
     n++
  :: else -> break
  od
}
