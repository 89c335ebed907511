import test from 'node:test';
import assert from 'node:assert/strict';
import { createLimiter } from '../../src/picture/queue.js';

/** A clock that only moves when the limiter sleeps. */
function fakeClock() {
    const clock = { t: 1000, sleeps: /** @type {number[]} */ ([]) };
    return {
        clock,
        now: () => clock.t,
        sleep: async (/** @type {number} */ ms) => {
            clock.sleeps.push(ms);
            clock.t += ms;
        },
    };
}

/** A job whose end the test decides. */
function deferred() {
    /** @type {(v?: any) => void} */ let resolve = () => {};
    /** @type {(e: any) => void} */ let reject = () => {};
    const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

test('concurrency is never exceeded and every job finishes', async () => {
    const { now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 2, minIntervalMs: 0, now, sleep });
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 6 }, deferred);
    const results = gates.map((gate, i) =>
        limiter.run(async () => {
            running++;
            peak = Math.max(peak, running);
            await gate.promise;
            running--;
            return i;
        }),
    );
    await flush();
    assert.equal(limiter.active, 2);
    assert.equal(limiter.queued, 4);
    for (const i of [1, 0, 3, 2, 5, 4]) {
        gates[i].resolve();
        await flush();
        assert.ok(limiter.active <= 2);
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5]);
    assert.equal(peak, 2);
    assert.equal(limiter.active, 0);
    assert.equal(limiter.queued, 0);
});

test('FIFO order with maxConcurrent 1', async () => {
    const { now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0, now, sleep });
    /** @type {number[]} */
    const order = [];
    const jobs = [];
    for (let i = 0; i < 8; i++) {
        jobs.push(limiter.run(async () => {
            order.push(i);
            await flush();
        }));
    }
    await Promise.all(jobs);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7]);
});

test('consecutive starts are at least minIntervalMs apart', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 3, minIntervalMs: 100, now, sleep });
    /** @type {number[]} */
    const starts = [];
    await Promise.all(Array.from({ length: 4 }, () => limiter.run(() => starts.push(clock.t))));
    assert.deepEqual(starts, [1000, 1100, 1200, 1300]);
    // Time already passed counts toward the interval.
    clock.t += 60;
    await limiter.run(() => starts.push(clock.t));
    assert.equal(starts.at(-1), 1400);
    assert.deepEqual(clock.sleeps, [100, 100, 100, 40]);
});

test('real timers: the interval is respected', async () => {
    const limiter = createLimiter({ maxConcurrent: 2, minIntervalMs: 30 });
    /** @type {number[]} */
    const starts = [];
    await Promise.all(Array.from({ length: 3 }, () => limiter.run(() => starts.push(performance.now()))));
    assert.ok(starts[1] - starts[0] >= 25 && starts[2] - starts[1] >= 25, starts.join(', '));
});

test('a job aborted while queued is removed and rejects with AbortError', async () => {
    const { now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0, now, sleep });
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const controller = new AbortController();
    let ran = false;
    const aborted = limiter.run(() => { ran = true; }, { signal: controller.signal });
    const third = limiter.run(() => 'third');
    await flush();
    assert.equal(limiter.queued, 2);
    controller.abort(new Error('user stopped'));
    assert.equal(limiter.queued, 1);
    await assert.rejects(aborted, (error) => error instanceof Error && error.name === 'AbortError');
    gate.resolve('first');
    assert.equal(await first, 'first');
    assert.equal(await third, 'third');
    assert.equal(ran, false);
});

test('an already aborted signal rejects at once without running', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0 });
    let ran = false;
    await assert.rejects(limiter.run(() => { ran = true; }, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.equal(ran, false);
    assert.equal(limiter.queued, 0);
});

test('aborting a running job is left to the job', async () => {
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0 });
    const controller = new AbortController();
    const gate = deferred();
    const job = limiter.run(() => gate.promise, { signal: controller.signal });
    await flush();
    controller.abort();
    assert.equal(limiter.active, 1);
    gate.resolve('done anyway');
    assert.equal(await job, 'done anyway');
});

test('a failing job frees its slot, sync throws included', async () => {
    const { now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0, now, sleep });
    const failing = limiter.run(async () => { throw new Error('boom'); });
    const throwing = limiter.run(() => { throw new Error('sync boom'); });
    const next = limiter.run(() => 'ok');
    await assert.rejects(failing, /boom/);
    await assert.rejects(throwing, /sync boom/);
    assert.equal(await next, 'ok');
    assert.equal(limiter.active, 0);
});

test('setOptions: raising maxConcurrent starts waiting jobs', async () => {
    const { now, sleep } = fakeClock();
    const limiter = createLimiter({ maxConcurrent: 1, minIntervalMs: 0, now, sleep });
    const gates = [deferred(), deferred(), deferred()];
    const jobs = gates.map((g) => limiter.run(() => g.promise));
    await flush();
    assert.equal(limiter.active, 1);
    limiter.setOptions({ maxConcurrent: 3 });
    await flush();
    assert.equal(limiter.active, 3);
    limiter.setOptions({ minIntervalMs: 10 }); // partial update keeps maxConcurrent
    for (const g of gates) g.resolve();
    await Promise.all(jobs);
});

test('options are validated with precise messages', () => {
    assert.throws(() => createLimiter({ maxConcurrent: 0, minIntervalMs: 0 }), { name: 'TypeError', message: 'maxConcurrent must be an integer from 1 to 16, got 0' });
    assert.throws(() => createLimiter({ maxConcurrent: 1.5, minIntervalMs: 0 }), { name: 'TypeError', message: 'maxConcurrent must be an integer from 1 to 16, got 1.5' });
    assert.throws(() => createLimiter({ maxConcurrent: /** @type {any} */ ('2'), minIntervalMs: 0 }), { message: 'maxConcurrent must be an integer from 1 to 16, got "2"' });
    assert.throws(() => createLimiter({ maxConcurrent: 17, minIntervalMs: 0 }), TypeError);
    assert.throws(() => createLimiter({ maxConcurrent: 1, minIntervalMs: -1 }), { name: 'TypeError', message: 'minIntervalMs must be a number from 0 to 3600000, got -1' });
    assert.throws(() => createLimiter({ maxConcurrent: 1, minIntervalMs: NaN }), { message: 'minIntervalMs must be a number from 0 to 3600000, got NaN' });
    const limiter = createLimiter({ maxConcurrent: 16, minIntervalMs: 3_600_000 });
    assert.throws(() => limiter.setOptions({ maxConcurrent: 99 }), { message: 'maxConcurrent must be an integer from 1 to 16, got 99' });
});
