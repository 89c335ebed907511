// @ts-check
/** Inline Images: entry point. Wires the pieces to SillyTavern; logic lives in the modules. */

const NAME = 'Inline Images';

function init() {
    const st = /** @type {any} */ (globalThis).SillyTavern;
    if (!st?.getContext) {
        console.error(`[${NAME}] SillyTavern.getContext() is missing; the extension stays inactive.`);
        return;
    }
    /** @type {any} */ (globalThis).inlineImages = { loaded: true, base: new URL('..', import.meta.url).pathname };
    console.info(`[${NAME}] loaded from ${new URL('..', import.meta.url).pathname}`);
}

init();
