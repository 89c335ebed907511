import test from 'node:test';
import assert from 'node:assert/strict';

// sd.js reads SillyTavern through getContext(); SeedGuard needs only the settings object.
/** @type {any} */ (globalThis).SillyTavern = { getContext: () => ({ saveSettingsDebounced: () => {} }) };
const { SeedGuard } = await import('../../src/picture/sd.js');

/**
 * Image Generation's `/sd seed=N` as SillyTavern 1.19 runs it: it notes the seed it finds,
 * sets N for the call, and when the call ends puts back the seed it noted.
 * @param {{seed: number}} sd @param {number|undefined} seed @param {Promise<void>} until
 */
async function sdCall(sd, seed, until) {
    const noted = sd.seed;
    if (seed !== undefined) sd.seed = seed;
    const used = sd.seed;
    await until;
    if (seed !== undefined) sd.seed = noted;
    return used;
}

const later = () => { let open = () => {}; const p = new Promise((r) => { open = () => r(undefined); }); return { p, open }; };

test('overlapping draws with a chat seed leave the user\'s own seed as it was', async () => {
    const sd = { seed: 77 };
    const guard = new SeedGuard(() => sd);
    const a = later();
    const b = later();
    const first = guard.run(1234, (seed) => sdCall(sd, seed, a.p));
    const second = guard.run(1234, (seed) => sdCall(sd, seed, b.p));
    a.open();
    assert.equal(await first, 1234);
    b.open();
    assert.equal(await second, 1234);
    // Without the guard the second call would put back the first one's 1234.
    assert.equal(sd.seed, 77);
});

test('a draw without a seed next to one with a seed is drawn with the user\'s own seed', async () => {
    const sd = { seed: -1 };
    const guard = new SeedGuard(() => sd);
    const a = later();
    const b = later();
    const seeded = guard.run(1234, (seed) => sdCall(sd, seed, a.p));
    const plain = guard.run(null, (seed) => sdCall(sd, seed, b.p));
    assert.equal(sd.seed, -1, 'the plain draw set the user\'s own seed for itself');
    a.open();
    b.open();
    assert.deepEqual(await Promise.all([seeded, plain]), [1234, -1]);
    assert.equal(sd.seed, -1);
});

test('a draw without a seed and nothing else running passes no seed at all', async () => {
    const sd = { seed: 5 };
    const guard = new SeedGuard(() => sd);
    /** @type {unknown[]} */
    const passed = [];
    await guard.run(null, async (seed) => { passed.push(seed); });
    assert.deepEqual(passed, [undefined]);
    assert.equal(sd.seed, 5);
});

test('a draw that throws still puts the user\'s seed back', async () => {
    const sd = { seed: 9 };
    const guard = new SeedGuard(() => sd);
    await assert.rejects(guard.run(42, async (seed) => { sd.seed = /** @type {number} */ (seed); throw new Error('backend down'); }), /backend down/);
    assert.equal(sd.seed, 9);
});
