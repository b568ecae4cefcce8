package org.qwen4j.core.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that run one data-parallel job at a time. The calling thread works
 * too, so a pool of {@code n} threads starts {@code n - 1}. Hand-off costs a volatile write and an
 * unpark per worker; idle workers spin briefly before parking so that the back-to-back jobs of a
 * forward pass do not pay a wake-up each. Jobs split {@code [0, n)} into chunks claimed from an
 * atomic counter, each a share of what is left (guided scheduling): large chunks while much is
 * left keep the claims few, small ones at the end let the threads finish together. Which thread
 * computes an index, and where chunks begin, varies from run to run; tasks must compute every index
 * the same way whatever chunk it falls in, so that results do not depend on the thread count.
 */
public final class WorkerPool implements AutoCloseable {
    /** A job over a range of indices; {@code worker} is in {@code [0, threads)} and names per-thread scratch. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to, int worker);
    }

    /**
     * Busy-wait rounds before yielding, and yields before parking. Spinning keeps the hand-off of
     * back-to-back jobs in the microseconds; yielding soon matters when the machine has fewer free
     * cores than threads, where a spinning thread would hold the core that the thread it waits for
     * needs (measured: decode fell from 8 to 4 tokens/s with two threads on a loaded 2-core machine
     * under pure spinning).
     */
    private static final int SPIN_ITERATIONS = 2_000;
    private static final int YIELD_ITERATIONS = 50;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Thread caller;
    private RangeTask task;
    private int size;
    private int smallestChunk;
    private volatile Throwable failure;

    public WorkerPool(int threads, String name) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int id = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + id).unstarted(() -> workLoop(id));
            workers[i].start();
        }
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)} and returns when all is done. A chunk is what is left
     * divided by twice the thread count, but not less than {@code n / (threads * split)}. Jobs from
     * different callers are serialised.
     */
    public synchronized void run(int n, int split, RangeTask task) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (n <= 0) return;
        if (threads == 1 || n == 1) {
            task.run(0, n, 0);
            return;
        }
        this.task = task;
        this.size = n;
        this.smallestChunk = Math.max(1, n / (threads * Math.max(1, split)));
        this.failure = null;
        this.caller = Thread.currentThread();
        nextChunk.set(0);
        pending.set(workers.length);
        generation++; // publishes the fields above
        for (Thread w : workers) LockSupport.unpark(w);
        drain(0);
        int spins = 0;
        while (pending.get() != 0) {
            // Closed mid-job: workers leave without finishing, so stop waiting for them.
            if (closed) throw new IllegalStateException("worker pool closed during a job");
            pause(++spins);
        }
        this.task = null;
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    private void pause(int spins) {
        if (spins < SPIN_ITERATIONS) Thread.onSpinWait();
        else if (spins < SPIN_ITERATIONS + YIELD_ITERATIONS) Thread.yield();
        else LockSupport.park(this);
    }

    private void drain(int worker) {
        RangeTask t = task;
        int n = size;
        int smallest = smallestChunk;
        int share = 2 * threads;
        try {
            for (int start = nextChunk.get(); start < n; start = nextChunk.get()) {
                int end = start + Math.max(smallest, (n - start) / share);
                if (nextChunk.compareAndSet(start, end)) t.run(start, Math.min(n, end), worker);
            }
        } catch (Throwable e) {
            failure = e;
            nextChunk.set(n); // others stop claiming
        }
    }

    private void workLoop(int id) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                pause(++spins);
            }
            if (closed) return;
            seen = generation;
            drain(id);
            if (pending.decrementAndGet() == 0) LockSupport.unpark(caller);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
        Thread c = caller;
        if (c != null) LockSupport.unpark(c);
    }
}
