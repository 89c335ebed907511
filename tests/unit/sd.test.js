import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

// sd.js reads SillyTavern through getContext(); SettingsGuard needs only the settings object.
/** @type {any} */ (globalThis).SillyTavern = { getContext: () => ({ saveSettingsDebounced: () => {} }) };
const { SettingsGuard } = await import('../../src/picture/sd.js');

/**
 * Image Generation's `/sd seed= width= height=` as SillyTavern 1.19 runs them
 * (applyCommandArguments): it notes each value it finds, sets the one passed for the call, and
 * when the call ends puts back what it noted. Returns what the call was drawn with.
 * @param {Record<string, number>} sd @param {Record<string, number>} args @param {Promise<void>} until
 */
async function sdCall(sd, args, until) {
    const noted = Object.fromEntries(Object.keys(args).map((k) => [k, sd[k]]));
    Object.assign(sd, args);
    await Promise.resolve();
    const used = { seed: sd.seed, width: sd.width, height: sd.height };
    await until;
    Object.assign(sd, noted);
    return used;
}

const later = () => { let open = () => {}; const p = new Promise((r) => { open = () => r(undefined); }); return { p, open }; };

test('overlapping draws with a chat seed leave the user\'s own seed as it was', async () => {
    const sd = { seed: 77, width: 512, height: 512 };
    const guard = new SettingsGuard(() => sd);
    const a = later();
    const b = later();
    const first = guard.run({ seed: 1234 }, (args) => sdCall(sd, args, a.p));
    const second = guard.run({ seed: 1234 }, (args) => sdCall(sd, args, b.p));
    a.open();
    assert.equal((await first).seed, 1234);
    b.open();
    assert.equal((await second).seed, 1234);
    // Without the guard the second call would put back the first one's 1234.
    assert.equal(sd.seed, 77);
});

test('a draw without a seed next to one with a seed is drawn with the user\'s own seed', async () => {
    const sd = { seed: -1, width: 512, height: 512 };
    const guard = new SettingsGuard(() => sd);
    const a = later();
    const b = later();
    const seeded = guard.run({ seed: 1234 }, (args) => sdCall(sd, args, a.p));
    const plain = guard.run({}, (args) => sdCall(sd, args, b.p));
    a.open();
    b.open();
    assert.deepEqual((await Promise.all([seeded, plain])).map((u) => u.seed), [1234, -1]);
    assert.equal(sd.seed, -1);
});

test('a draw that wants nothing, with nothing else running, passes nothing at all', async () => {
    const sd = { seed: 5, width: 512, height: 768 };
    const guard = new SettingsGuard(() => sd);
    /** @type {unknown[]} */
    const passed = [];
    await guard.run({}, async (args) => { passed.push(args); });
    assert.deepEqual(passed, [{}]);
    assert.deepEqual(sd, { seed: 5, width: 512, height: 768 });
});

test('"own" passes the user\'s own size explicitly', async () => {
    const sd = { seed: 5, width: 832, height: 1216 };
    const guard = new SettingsGuard(() => sd);
    /** @type {unknown[]} */
    const passed = [];
    await guard.run({ width: 'own', height: 'own' }, async (args) => { passed.push(args); });
    assert.deepEqual(passed, [{ width: 832, height: 1216 }]);
});

test('a draw that throws still puts the user\'s values back', async () => {
    const sd = { seed: 9, width: 512, height: 512 };
    const guard = new SettingsGuard(() => sd);
    await assert.rejects(guard.run({ seed: 42, width: 640, height: 384 }, async (args) => { Object.assign(sd, args); throw new Error('backend down'); }), /backend down/);
    assert.deepEqual(sd, { seed: 9, width: 512, height: 512 });
});

test('any overlap of shaped, unshaped and seeded draws: each drawn at its own size, the user\'s size and seed kept', async () => {
    const sizes = [{ width: 448, height: 640 }, { width: 640, height: 448 }, { width: 512, height: 512 }, null];
    const draw = fc.record({ size: fc.constantFrom(...sizes), seed: fc.option(fc.integer({ min: 0, max: 99 }), { nil: undefined }), own: fc.boolean() });
    await fc.assert(fc.asyncProperty(fc.array(draw, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { minLength: 6, maxLength: 6 }), async (draws, order) => {
        const sd = { seed: -1, width: 512, height: 768 };
        const guard = new SettingsGuard(() => sd);
        const gates = draws.map(later);
        const runs = draws.map((d, k) => guard.run({ ...(d.size ?? (d.own ? { width: 'own', height: 'own' } : {})), ...(d.seed === undefined ? {} : { seed: d.seed }) },
            (args) => sdCall(sd, args, gates[k].p)));
        // The calls end in a random order.
        const left = gates.map((_, k) => k);
        for (const pick of order) if (left.length) gates[left.splice(pick % left.length, 1)[0]].open();
        left.forEach((k) => gates[k].open());
        const used = await Promise.all(runs);
        used.forEach((u, k) => {
            const d = draws[k];
            if (d.size) assert.deepEqual([u.width, u.height], [d.size.width, d.size.height]);
            else if (d.own) assert.deepEqual([u.width, u.height], [512, 768]);
            if (d.seed !== undefined) assert.equal(u.seed, d.seed);
        });
        assert.deepEqual(sd, { seed: -1, width: 512, height: 768 });
    }), { numRuns: 300 });
});
