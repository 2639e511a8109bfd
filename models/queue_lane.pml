/*
 * queue_lane.pml: the SPSC lane of a FIFO Queue, a design not built yet (bench/README.md,
 * "Design: an SPSC lane"). One producer thread and one consumer thread move items through the
 * queue's own ring without its lock; a third thread revokes the lane for good (with LOCK held)
 * and the queue carries on through its locked path. There is no code yet, so each step is
 * tagged with the bullet of the design it mirrors: [put], [get], [blocking], [revoke], [death],
 * [counts] (the PUTS/GETS of [put]/[get] and the UNFINISHED of [revoke]).
 *
 * Mirrors:
 *   lane_put     [put]: CAS WRITE w -> w|BUSY (fails on REVOKED: the locked path); room from
 *                the cached READ, re-read when it says full; write the record; store WRITE w'
 *                (clears BUSY, publishes); load GET_WAITS, notify WRITE if set. No room:
 *                [blocking] set PUT_WAITS, look again, park on READ with the value the look
 *                read; clear the flag when leaving.
 *   lane_get     [get]: cached WRITE, re-read when it says empty; copy the record; load READ
 *                (REVOKED: the copy may be torn, drop it unread, the locked path); decode (may
 *                throw: nothing published, the item stays next); CAS READ r -> r' (fails on
 *                REVOKED: drop the copy, the locked path); load PUT_WAITS, notify READ if set.
 *                Empty: [blocking] GET_WAITS, look again, park on WRITE with the value read.
 *   revoke       [revoke] (the Revoker, or with -DGROWS the producer): take LOCK; once; CAS
 *                READ to r|REVOKED; CAS WRITE w -> w|REVOKED from a value without BUSY, waiting
 *                while BUSY is set (with -DPRODUCER_DIES: the producer ended with BUSY set, CAS
 *                w|BUSY -> w|REVOKED); convert READ..WRITE into the locked queue; notify both
 *                position words; release LOCK. The Revoker then puts one item of its own
 *                through the locked path (the put from a third thread that triggers the revoke
 *                in the design).
 *   locked_put, locked_get  the queue "as today": an abstract FIFO under an abstract LOCK (one
 *                atomic step each; a get blocks until it is non-empty), verified in queue.pml.
 *
 * Abstractions. Positions count items, not bytes (the ring holds CAP one-slot records, so a
 * record's framing, the wrap marker and the byte arithmetic are left out); positions do not wrap
 * (a run puts at most K items), BUSY and REVOKED are bits above them. The spin before a park is
 * left out (it only delays the look), as are the Parkers' deadlines and aborts (a waiter that
 * leaves clears its flag and takes nothing with it: as a spurious wake that looks, then leaves),
 * async parks, the claim of PRODUCER/CONSUMER (the threads' roles are fixed), MODE, the
 * growth itself, shutdown and taskDone/join, a put or get nested in an encode or decode, the
 * consumer's death. The torn copy is a ghost: a copy made once the revoke's first CAS is done
 * counts as possibly torn (the locked path may have reused its bytes). The revoker's wait for
 * BUSY (spin, then poll) is a guard: it goes on once BUSY is clear. A CAS loop whose failed
 * turns change nothing (the revoker's on READ and on WRITE) is one atomic step: its last turn
 * reads and swaps the same value. LOCK is an atomic test-and-set; the locked queue is unbounded
 * (its putters' blocking is queue.pml's); the revoke converts in place in the design, here it
 * moves the lane's items to the locked queue, which is empty while the lane lives (asserted).
 *
 * Workload: the producer puts items 1..K in order; the revoker (run or not, chosen at the
 * start; always run with -DPRODUCER_DIES) revokes at any point and then puts item K+1; the
 * consumer gets K items, K+1 when the revoker runs. Runs without the revoker check the lane
 * alone: the revoke notifies both words, so with it every lane sleeper would be woken anyway and
 * a lost wake-up in the lane would hide behind it. Spurious wakes: SPURIOUS (default 1) a run.
 * Decode throws at most THROWS times (default 1); the consumer then calls get again.
 *
 * Properties: every item got exactly once (asserted at each get and at the end); the producer's
 * items got in order, and every item that went through the lane got before the revoker's own
 * (FIFO across the revocation); a get copies only a published record, and decodes no copy
 * made once the revoke had begun (the locked path may reuse its bytes: torn); nobody writes
 * WRITE while the producer holds BUSY (so its plain stores never erase REVOKED); the locked
 * queue is empty at the revoke; the WAITS flags clear at the end; no invalid
 * end state (a side asleep for ever is a lost wake-up, a revoker stuck behind BUSY a revocation
 * that does not end); with -DNP, no non-progress cycle.
 *
 * -DGROWS: a queue that may grow. A put that finds no room revokes the lane itself (beside the
 * third thread's revoke: the second to take LOCK finds it done), then puts through the locked
 * path; nobody blocks for room.
 *
 * -DPRODUCER_DIES: the producer may end at any step (a fourth process kills it; it leaves its
 * registration on a futex word, as a thread's exit does, and WRITE keeps its BUSY). The revoker
 * always runs; the consumer's park has the liveness poll ([death]: a producer killed between its
 * publish and its flag load), and it stops once the producer has ended, the revoker has put and
 * it has got every item made. At the end: got exactly the items published, each once. With
 * -DGROWS the producer is not killed while it holds LOCK for its own revoke: the abstract LOCK
 * has no owner death, and a revoke cut short would need the next holder to finish it (the design
 * does not say how; see models/README.md).
 *
 * -DCOUNTS: the counts of [put]/[get]: the producer's plain PUTS += 1 before its publish, the
 * consumer's plain GETS += 1 before its CAS; with -DMAXSIZE=m a put also needs room for an item
 * under m. The revoke asserts that the items it converts fit in maxsize and that PUTS counts
 * exactly the items published (its UNFINISHED = PUTS - DONE, so join returns).
 *
 * Fixes to the design text the model needed (the default), each kept as a mutant that restores
 * the design as written:
 *   MUTANT_PUT_LOOK_IGNORES_REVOKED  the producer's look takes READ's position without testing
 *                      REVOKED: it parks on a READ the revoke has already changed and notified
 *                      for good, and sleeps for ever
 *   MUTANT_GET_LOOK_IGNORES_REVOKED  the same on the consumer's side: it parks on a revoked
 *                      WRITE (also a get that starts after the revoke on an empty lane)
 *   MUTANT_FULL_KEEPS_BUSY  a put with no room blocks with BUSY still set: the revoker waits
 *                      for BUSY holding LOCK, the consumer's CAS fails and it waits for LOCK, the
 *                      producer sleeps on READ: deadlock; with -DGROWS the producer revokes
 *                      with BUSY set and waits for its own BUSY
 *   MUTANT_TAKEOVER_KEEPS_PUTS  (COUNTS, PRODUCER_DIES) a producer killed after PUTS += 1 and
 *                      before its publish leaves PUTS one over, and the takeover cannot tell;
 *                      fix: the BUSY CAS records PUTS's parity (PARITY), the takeover compares
 *   MUTANT_BOUND_BY_GETS  (COUNTS, MAXSIZE) the maxsize bound as PUTS - GETS: a put uses the
 *                      room of a get whose GETS += 1 landed but whose CAS then fails against the
 *                      revoke, and the revoked queue holds maxsize + 1 items; fix: bound the items
 *                      by READ alone (the items between READ and WRITE)
 *
 * Mutants (spin -DMUTANT_...):
 *   MUTANT_FLAG_BEFORE_PUBLISH  the producer loads GET_WAITS before its publish store
 *   MUTANT_REVOKE_IGNORES_BUSY  the revoker CASes REVOKED into WRITE while BUSY is set
 *   MUTANT_REVOKE_NO_NOTIFY     the revoke notifies neither position word
 *   MUTANT_KEEP_ON_FAILED_CAS   the consumer returns its copy although its READ CAS failed
 *   MUTANT_PUBLISH_BEFORE_COPY  the consumer CASes READ before it copies the record
 *   MUTANT_CAS_WAITS_FIRST      the consumer loads PUT_WAITS before its READ CAS
 *   MUTANT_NO_TORN_CHECK        the consumer decodes its copy without loading READ first
 *   MUTANT_TORN_CHECK_FIRST     the consumer loads READ before it copies, not after
 *   MUTANT_GET_PARK_ON_FRESH    the consumer parks on WRITE read again after its look, not on
 *                               the value the look judged
 *   MUTANT_NO_TAKEOVER          (PRODUCER_DIES) the revoker waits for BUSY even when the
 *                               producer has ended
 * Not a bug, verified (see models/README.md): MUTANT_GET_FLAG_BEFORE_LOOK, the consumer looking
 * at WRITE before it sets GET_WAITS (it parks on the value that look read, so a publish after the
 * look changes the word and the park returns at once).
 */

#define NPROC 2
#define NSLOTS 6
#ifndef SPURIOUS
#define SPURIOUS 1
#endif
#ifndef THROWS
#define THROWS 1
#endif
/* Items the producer puts. */
#ifndef K
#define K 3
#endif
/* Slots of the ring (records of one slot each). */
#ifndef CAP
#define CAP 1
#endif

/* Shared words (mem[] of futex.pml): the consumer's line, the producer's line, the read-mostly
   line's flags. */
#define READ 0
#define WRITE 1
#define PUT_WAITS 2
#define GET_WAITS 3
/* The position a waiting side's last look read, stored before each park: the other side
   notifies only for the first publish past it, the one a park registered before can miss (a
   publish between the look and the park fails the park's compare). -DNOTIFY_EVERY: the first
   version, a notify at every publish while the flag is set, which woke nobody 0.35-0.66 times an
   item per side (the flag stays set from the wake until the woken side runs). A single "wake in
   flight" flag cleared by the waiter instead loses a wake-up: a publish the waiter's look saw can
   set the flag after the waiter cleared it (found by this model; not kept). */
#define PUT_LOOKED 4
#define GET_LOOKED 5
/* Bits of the position words, above the positions (0 .. K). */
#define POS 15
#define BUSY 16
#define REVOKED 32
/* (-DCOUNTS) the parity of PUTS when BUSY was set: a fix, see lane_put. */
#define PARITY 64

/* futex.pml process numbers of the two sides (the revoker never parks). */
#define P 0
#define C 1

/* The revoker's own item. */
#define R (K + 1)

#include "futex.pml"

#ifndef NOTIFY_EVERY
#define LOOK_STORE(slot, v) mem[slot] = (v) & POS
#else
#define LOOK_STORE(slot, v) skip
#endif

/* Decode throws left in this run. */
byte throws = THROWS;

/* The ring's records (item numbers, 0: never written). */
byte slot[CAP];
/* The locked queue (abstract) and LOCK (a test-and-set). */
byte lq[K + 1];
byte lqHead, lqTail;
bool lockHeld;

/* Ghosts: published (or put through the locked path), times got; items made; the consumer's
   count to get; the last producer item got; the items that went through the lane. */
bool pub[K + 2];
byte gotN[K + 2];
byte made;
byte target;
byte lastP;
byte laneItems;
bool revokerRuns, revoked, revDone;
bool prodEnded, prodDead;
bool polled;                                            /* ghost: see POLL */
/* The producer holds LOCK (-DGROWS: its own revoke); not killed then (see the header). */
bool pLock;

#ifdef COUNTS
/* PUTS (the producer's line) and GETS (the consumer's line), plain. */
byte PUTS, GETS;
#endif

#ifdef PRODUCER_DIES
/* The consumer has got everything there will be. */
#define ALL_GOT (prodEnded && revDone && n == made)
/* The consumer's liveness poll of a dead producer, once per death (a ghost: `polled`). The design
   polls every OWNER_POLL_MS; one poll is all a dead producer's lost notify needs, and a poll that
   stayed enabled would let a consumer on an empty lane loop for ever instead of blocking, which
   hid a revoke stuck behind BUSY from the end-state check and ruled out the progress check. */
#define POLL (prodDead && !polled)
#else
#define ALL_GOT (n == target)
#define POLL false
#endif

/* A consumer's park not deadline-bound ended TIMED_OUT: its poll fired (once, see POLL). */
inline POLLED(r) {
  if
  :: r == TIMED_OUT -> polled = true
  :: else -> skip
  fi
}

/* An item got (at the get's linearisation: the READ CAS, or the locked take). */
inline record(c) {
  assert(c >= 1 && c <= R && pub[c]);                   /* published, never a stale record */
  assert(gotN[c] == 0);                                 /* no duplicate */
  gotN[c]++;
  if
  :: c <= K ->
    assert(c == lastP + 1);                             /* the producer's FIFO */
    lastP = c
  :: else ->
    assert(revoked && lastP >= laneItems)               /* the lane's items came out first */
  fi
}

/* The locked path's put (LOCK taken and released around it, one step). */
inline locked_put(item) {
  atomic {
    !lockHeld ->
    assert(revoked);                                    /* only after a revoke */
    lq[lqTail] = item; lqTail++;
    pub[item] = true; made++
  }
}

/*
 * [revoke], by the third thread, or (-DGROWS) by the producer that found no room. Locals: rr, ww,
 * k. Once: a revoker that finds the lane revoked under LOCK leaves it (MODE in the design).
 */
inline revoke(byProducer) {
  atomic { !lockHeld -> lockHeld = true; pLock = byProducer };   /* [revoke] with LOCK held */
  if
  :: mem[READ] & REVOKED -> skip                        /* once */
  :: else ->
    /* [revoke] CAS READ to REVOKED (keeping the position: the walk starts there) */
    atomic { rr = mem[READ]; mem[READ] = rr | REVOKED; revoked = true };
    /* [revoke] CAS WRITE w -> w|REVOKED from a value without BUSY, waiting while BUSY */
#ifndef MUTANT_REVOKE_IGNORES_BUSY
    if
    :: atomic { (mem[WRITE] & BUSY) == 0 -> ww = mem[WRITE]; mem[WRITE] = ww | REVOKED }
#if defined(PRODUCER_DIES) && !defined(MUTANT_NO_TAKEOVER)
    :: atomic {
         /* [death] the producer ended with BUSY set (its half-written record lies past
            WRITE, in free space) */
         prodDead && (mem[WRITE] & BUSY) != 0 -> ww = mem[WRITE]
       };
#if defined(COUNTS) && !defined(MUTANT_TAKEOVER_KEEPS_PUTS)
       /* fix: PUTS's parity differs from the one BUSY recorded: the dead put counted. First,
          so that a revoke resumed after this step finds the parity matching again and does
          not repeat it (the text's order; the model has no revoker death to show why) */
       atomic {
         if
         :: (ww & PARITY) / PARITY != PUTS % 2 -> PUTS--
         :: else -> skip
         fi
       };
#endif
       /* then CAS w|BUSY|P -> w|REVOKED (only the revoker, holding LOCK, writes WRITE now) */
       atomic { ww = ww & POS; mem[WRITE] = ww | REVOKED }
#endif
    fi;
#else
    atomic { ww = mem[WRITE] & POS; mem[WRITE] = mem[WRITE] | REVOKED };
#endif
    /* [revoke] walk READ..WRITE into the locked queue (LOCK held: one step) */
    atomic {
      assert(lqHead == lqTail);                         /* empty while the lane lived */
      k = rr;
      do
      :: k < ww -> lq[lqTail] = slot[k % CAP]; lqTail++; k++
      :: else -> break
      od;
      laneItems = ww;
#ifdef COUNTS
#ifdef MAXSIZE
      assert(lqTail - lqHead <= MAXSIZE);               /* COUNT within maxsize */
#endif
      assert(PUTS == made);                             /* UNFINISHED = PUTS - DONE exact */
#endif
      k = 0; rr = 0; ww = 0
    };
#ifndef MUTANT_REVOKE_NO_NOTIFY
    futex_notify(READ, ALL);                            /* [revoke] notify both words */
    futex_notify(WRITE, ALL)
#else
    skip
#endif
  fi;
  atomic { lockHeld = false; pLock = false }           /* [revoke] release LOCK */
}

/* Room for a record by the cached READ (and, with a maxsize, for one more item). */
#if defined(COUNTS) && defined(MAXSIZE)
#ifdef MUTANT_BOUND_BY_GETS
/* as written: PUTS - GETS, GETS added before the consumer's CAS */
#define ROOM (w - (rs & POS) < CAP && PUTS - gs < MAXSIZE)
#else
/* fix: the items between READ and WRITE (positions count items here; the code keeps the
   end positions of its last maxsize records) */
#define ROOM (w - (rs & POS) < CAP && w - (rs & POS) < MAXSIZE)
#endif
#else
#define ROOM (w - (rs & POS) < CAP)
#endif

/* BUSY as the producer's CAS sets it: with -DCOUNTS, and the PUTS parity fix, with the parity
   of PUTS before this put. */
#if defined(COUNTS) && !defined(MUTANT_TAKEOVER_KEEPS_PUTS)
#define BUSY_MARK (BUSY | (PUTS & 1) * PARITY)
#else
#define BUSY_MARK BUSY
#endif

/*
 * [put] through the lane, item i. Sets `locked` (and puts nothing) when it finds the lane revoked.
 * Locals: w (WRITE's position, the producer's own), rs (the cached READ, with its bits), busy,
 * waiting, ok, gw, expired, res.
 */
inline lane_put() {
  do
  :: true ->
    if
    :: !busy ->
      /* [put] CAS WRITE w -> w|BUSY: fails only on REVOKED */
      atomic {
        if
        :: mem[WRITE] == w -> mem[WRITE] = w | BUSY_MARK; ok = true
        :: else -> assert(mem[WRITE] & REVOKED); ok = false
        fi
      };
      if
      :: !ok -> locked = true; break                    /* [put] revoked: the locked path */
      :: else -> busy = true; ok = false
      fi
    :: else -> skip                                     /* MUTANT_FULL_KEEPS_BUSY: kept */
    fi;
    /* [put] room from the cached READ (and the maxsize bound); re-read when it says full */
    if
    :: !ROOM ->
      rs = mem[READ];
#if defined(COUNTS) && defined(MAXSIZE) && defined(MUTANT_BOUND_BY_GETS)
      gs = GETS;                                        /* after READ (before: a lost wake-up) */
#endif
#ifndef MUTANT_PUT_LOOK_IGNORES_REVOKED
      if
      :: rs & REVOKED ->                                /* fix: the look sees the revoke */
        mem[WRITE] = w; busy = false;                   /* gives BUSY back, publishes nothing */
        locked = true; break
      :: else -> skip
      fi
#endif
    :: else -> skip
    fi;
    if
    :: ROOM ->
      slot[w % CAP] = i;                                /* [put] write the record */
#ifdef COUNTS
      PUTS++;                                           /* [put] plain PUTS += 1 */
#endif
      w++;
#ifdef MUTANT_FLAG_BEFORE_PUBLISH
      gw = mem[GET_WAITS];
#endif
      atomic {
        /* nobody touched WRITE while BUSY (MUTANT_REVOKE_IGNORES_BUSY breaks it here) */
        assert((mem[WRITE] & (BUSY | REVOKED)) == BUSY);
        mem[WRITE] = w;                                 /* [put] store WRITE w' (publish) */
        pub[i] = true; made++
      };
      busy = false;
#ifndef MUTANT_FLAG_BEFORE_PUBLISH
      gw = mem[GET_WAITS];                              /* [put] load GET_WAITS */
#endif
#ifndef NOTIFY_EVERY
      /* [put] only the first publish past the waiter's look (w - 1: the position before it) */
#ifndef MUTANT_LOOKED_NEW_POSITION
      if :: gw != 0 && mem[GET_LOOKED] != ((w - 1) & POS) -> gw = 0 :: else -> skip fi;
#else
      if :: gw != 0 && mem[GET_LOOKED] != (w & POS) -> gw = 0 :: else -> skip fi;
#endif
#endif
      if
      :: gw != 0 -> futex_notify(WRITE, 1)              /* [put] notify WRITE if set */
      :: else -> skip
      fi;
      gw = 0;
      break
    :: else ->
      /* [put] no room: give BUSY back, then block ([blocking]) or, -DGROWS, revoke */
#ifndef MUTANT_FULL_KEEPS_BUSY
      atomic {
        assert((mem[WRITE] & (BUSY | REVOKED)) == BUSY);
        mem[WRITE] = w                                  /* fix: give BUSY back first */
      };
      busy = false;
#endif
#ifdef GROWS
      revoke(true);                                     /* [put] a queue that may grow */
      locked = true; break
#endif
      if
      :: !waiting -> mem[PUT_WAITS] = 1; waiting = true /* [blocking] flag, look again */
      :: else ->
        LOOK_STORE(PUT_LOOKED, rs);                     /* [blocking] the look's position */
        futex_wait(P, READ, rs, false, expired, false, res);   /* [blocking] park, value read */
        res = OK
      fi
    fi
  od;
  if
  :: waiting -> mem[PUT_WAITS] = 0; waiting = false     /* [blocking] clear when leaving */
  :: else -> skip
  fi
}

proctype Producer() {
  byte i = 1, w, rs, gw, res, gs, rr, ww, k;
  bool ok, busy, waiting, locked, expired;
  {
    do
    :: i > K -> break
    :: else ->
      if
      :: !locked -> lane_put()
      :: else -> skip
      fi;
      if
      :: locked -> locked_put(i)
      :: else -> skip
      fi;
      i++
    od;
    prodEnded = true
  } unless {
    /* [death]: the thread ends here; its registration goes with it, WRITE keeps BUSY. */
    atomic { prodDead -> waitOn[P] = NONE; woken[P] = false; prodEnded = true }
  }
}

/*
 * [get] through the lane. Sets `got` (an item taken), or `locked` (revoked: nothing taken), or
 * neither (decode threw: the item stays next, the caller gets again).
 * Locals: r (READ's position, the consumer's own), ws (the cached WRITE, with its bits), c, pw.
 */
inline lane_get() {
  do
  :: (ws & POS) == r ->
    /* [get] the cached WRITE says empty: re-read it (the look) */
    ws = mem[WRITE];
#ifndef MUTANT_GET_LOOK_IGNORES_REVOKED
    if
    :: ws & REVOKED -> locked = true; break             /* fix: the look sees the revoke */
    :: else -> skip
    fi;
#endif
    if
    :: (ws & POS) == r ->
#ifdef MUTANT_GET_FLAG_BEFORE_LOOK
      /* looked first: set the flag, then park on the value that look read */
      if
      :: !waiting -> mem[GET_WAITS] = 1; waiting = true
      :: else -> skip
      fi;
      LOOK_STORE(GET_LOOKED, ws);
      futex_wait(C, WRITE, ws, false, expired, POLL, res);
      POLLED(res);
      res = OK
#else
      if
      :: !waiting -> mem[GET_WAITS] = 1; waiting = true /* [blocking] flag, look again */
      :: else ->
#ifdef MUTANT_GET_PARK_ON_FRESH
        ws = mem[WRITE];
#endif
        LOOK_STORE(GET_LOOKED, ws);                     /* [blocking] the look's position */
        futex_wait(C, WRITE, ws, false, expired, POLL, res);   /* [blocking] park, value read */
        POLLED(res);
        res = OK
      fi
#endif
    :: else -> skip
    fi
  :: else ->
#ifdef MUTANT_TORN_CHECK_FIRST
    rv = mem[READ];
#endif
#ifndef MUTANT_PUBLISH_BEFORE_COPY
    /* [get] copy the record out; torn: the revoke had begun, so the locked path may be reusing
       the record's bytes */
    atomic { c = slot[r % CAP]; torn = revoked };
#endif
#if !defined(MUTANT_NO_TORN_CHECK) && !defined(MUTANT_TORN_CHECK_FIRST)
    rv = mem[READ];                                     /* [get] load READ */
#endif
#ifndef MUTANT_NO_TORN_CHECK
    if
    :: rv & REVOKED ->                                  /* [get] the copy may be torn: */
      c = 0; torn = false; rv = 0; locked = true; break /* drop it unread, the locked path */
    :: else -> rv = 0
    fi;
#endif
    assert(!torn);                                      /* a copy that may be torn is not decoded */
    if
    :: atomic { throws > 0 -> throws-- };               /* [get] decode throws: no publish */
      c = 0; break
    :: true -> skip                                     /* [get] decode */
    fi;
#ifdef COUNTS
    GETS++;                                             /* [get] plain GETS += 1 */
#endif
#ifdef MUTANT_CAS_WAITS_FIRST
    pw = mem[PUT_WAITS];
#endif
    /* [get] CAS READ r -> r+1: fails only on REVOKED */
    atomic {
      if
      :: mem[READ] == r ->
        mem[READ] = r + 1; ok = true;
#ifndef MUTANT_PUBLISH_BEFORE_COPY
        record(c)
#else
        skip
#endif
      :: else ->
        assert(mem[READ] & REVOKED); ok = false;
#ifdef MUTANT_KEEP_ON_FAILED_CAS
        record(c); kept = true
#else
        c = 0                                           /* [get] drop the copy: not taken */
#endif
      fi
    };
    if
    :: ok ->
#ifdef MUTANT_PUBLISH_BEFORE_COPY
      atomic { c = slot[r % CAP]; record(c) };          /* copied after the publish (no decode) */
#endif
      r++; got = true; ok = false;
#ifndef MUTANT_CAS_WAITS_FIRST
      pw = mem[PUT_WAITS];                              /* [get] load PUT_WAITS */
#endif
#ifndef NOTIFY_EVERY
      /* [get] only the first publish past the waiter's look (r - 1: the position before it) */
      if :: pw != 0 && mem[PUT_LOOKED] != ((r - 1) & POS) -> pw = 0 :: else -> skip fi;
#endif
      if
      :: pw != 0 -> futex_notify(READ, 1)               /* [get] notify READ if set */
      :: else -> skip
      fi;
      pw = 0;
      break
    :: kept -> kept = false; got = true; locked = true; break   /* MUTANT_KEEP_ON_FAILED_CAS */
    :: else -> locked = true; break                     /* [get] revoked: the locked path */
    fi
  od;
  if
  :: waiting -> mem[GET_WAITS] = 0; waiting = false     /* [blocking] clear when leaving */
  :: else -> skip
  fi
}

/* The locked path's get: blocks until the locked queue has an item (or, with -DPRODUCER_DIES,
   until there is nothing left to get). */
inline locked_get() {
  atomic {
    if
    :: !lockHeld && lqHead < lqTail ->
      c = lq[lqHead]; lqHead++; record(c); got = true
    :: ALL_GOT -> skip
    fi
  }
}

proctype Consumer() {
  byte n, r, ws, c, pw, res, rv;
  bool ok, kept, got, waiting, locked, expired, torn;
  do
  :: ALL_GOT -> break
  :: else ->
    if
    :: !locked -> lane_get()
    :: else -> skip
    fi;
    if
    :: locked && !got -> locked_get()
    :: else -> skip
    fi;
    if
    :: got -> n++; got = false
    :: else -> skip
    fi;
    c = 0
  od
}

proctype Revoker() {
  byte rr, ww, k;
  revoke(false);
  locked_put(R);                                        /* then its own put, locked path */
  revDone = true
}

#ifdef PRODUCER_DIES
proctype Killer() {
  if
  :: atomic { !prodEnded && !pLock -> prodDead = true }
  :: true -> skip
  fi
}
#endif

init {
  byte j;
  atomic {
    waitOn[P] = NONE;
    waitOn[C] = NONE;
#ifdef PRODUCER_DIES
    revokerRuns = true;
#else
    if
    :: revokerRuns = true
    :: revokerRuns = false
    fi;
#endif
    target = K + revokerRuns;
    run Producer();
    run Consumer();
    if
    :: revokerRuns -> run Revoker()
    :: else -> skip
    fi
#ifdef PRODUCER_DIES
    ;
    run Killer()
#endif
  }
  _nr_pr == 1;
  /* Every process ended: each item got exactly once (with -DPRODUCER_DIES: each published). */
  for (j : 1 .. R) {
#ifdef PRODUCER_DIES
    assert(gotN[j] == pub[j])
#else
    assert(gotN[j] == (j <= K || revokerRuns))
#endif
  };
  assert(mem[GET_WAITS] == 0);
  assert(mem[PUT_WAITS] == 0 || prodDead);
  assert(revDone == revokerRuns)
}
