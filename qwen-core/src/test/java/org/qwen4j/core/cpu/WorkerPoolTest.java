package org.qwen4j.core.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyIndexIsVisitedExactlyOnceAcrossManyJobs() {
        try (WorkerPool pool = new WorkerPool(3, "test")) {
            for (int job = 0; job < 2000; job++) {
                int n = 1 + job % 97;
                AtomicIntegerArray seen = new AtomicIntegerArray(n);
                pool.run(n, 4, (from, to, worker) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, seen.get(i), "job " + job + " index " + i);
            }
        }
    }

    @Test
    void chunksShrinkTowardsTheEndOfAJobButNotBelowTheSmallestShare() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            List<int[]> chunks = Collections.synchronizedList(new ArrayList<>());
            pool.run(1000, 10, (from, to, worker) -> chunks.add(new int[] {from, to}));
            chunks.sort(Comparator.comparingInt(c -> c[0]));
            assertEquals(250, chunks.get(0)[1] - chunks.get(0)[0], "the first chunk is a quarter of the job (two threads)");
            for (int i = 1; i < chunks.size(); i++) {
                int size = chunks.get(i)[1] - chunks.get(i)[0];
                int before = chunks.get(i - 1)[1] - chunks.get(i - 1)[0];
                assertTrue(size <= before, "chunk " + i + " grew: " + before + " then " + size);
                boolean last = i == chunks.size() - 1;
                assertTrue(last || size >= 50, "chunk " + i + " of " + size + " is below 1000 / (2 * 10)");
            }
            assertEquals(1000, chunks.get(chunks.size() - 1)[1]);
        }
    }

    @Test
    void workerIdsStayWithinTheThreadCount() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            AtomicIntegerArray byWorker = new AtomicIntegerArray(2);
            pool.run(1000, 8, (from, to, worker) -> byWorker.addAndGet(worker, to - from));
            assertEquals(1000, byWorker.get(0) + byWorker.get(1));
        }
    }

    @Test
    void aFailingTaskIsRethrownToTheCallerAndThePoolStaysUsable() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            assertThrows(ArithmeticException.class, () -> pool.run(100, 4, (from, to, worker) -> {
                if (from <= 50 && 50 < to) throw new ArithmeticException("boom");
            }));
            AtomicIntegerArray seen = new AtomicIntegerArray(10);
            pool.run(10, 1, (from, to, worker) -> {
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertEquals(1, seen.get(i));
        }
    }

    @Test
    void closingThePoolWhileAWorkerIsBusyReleasesTheWaitingCaller() throws Exception {
        WorkerPool pool = new WorkerPool(2, "test-close");
        java.util.concurrent.CountDownLatch workerBusy = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        var outcome = new java.util.concurrent.CompletableFuture<Throwable>();
        Thread caller = new Thread(() -> {
            try {
                pool.run(100, 50, (from, to, worker) -> {
                    try {
                        if (worker != 0) {
                            workerBusy.countDown();
                            release.await(); // the worker is stuck until the test lets it go
                        } else {
                            Thread.sleep(1); // slow enough for the worker to claim a chunk
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        caller.setDaemon(true);
        caller.start();
        workerBusy.await();
        pool.close();
        Throwable t = outcome.get(10, java.util.concurrent.TimeUnit.SECONDS);
        release.countDown();
        assertEquals(IllegalStateException.class, t == null ? null : t.getClass(),
                "the caller must be told the pool closed under its job, not wait for it forever");
    }
}
