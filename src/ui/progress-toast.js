// @ts-check
/**
 * A toast that stays while a long piece of work runs (an export) and says how far it is,
 * updated at most a few times a second: writing to the page for every step would cost more
 * than the step.
 */
import { t } from '../st.js';

const EVERY_MS = 250;

export class ProgressToast {
    /** @param {number} messages @param {number} pictures */
    constructor(messages, pictures) {
        this.total = { messages, pictures };
        this.done = { messages: 0, pictures: 0 };
        this.shownAt = 0;
        const toastr = /** @type {any} */ (globalThis).toastr;
        /** @type {any} the toast's jQuery element */
        this.toast = toastr?.info?.(this.text(), 'Inline Images', { timeOut: 0, extendedTimeOut: 0, tapToDismiss: false }) ?? null;
    }

    text() {
        const { messages, pictures } = this.done;
        return t`Exporting… message ${messages} of ${this.total.messages}, picture ${pictures} of ${this.total.pictures}`;
    }

    message() {
        this.done.messages++;
        this.update();
    }

    picture() {
        this.done.pictures++;
        this.update();
    }

    update() {
        const now = performance.now();
        if (now - this.shownAt < EVERY_MS) return;
        this.shownAt = now;
        this.toast?.find?.('.toast-message')?.text(this.text());
    }

    close() {
        /** @type {any} */ (globalThis).toastr?.clear?.(this.toast);
    }
}
