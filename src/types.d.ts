// Shared shapes for the extension's JSDoc types (checked by `tsc --noEmit` with checkJs).

export interface Settings {
    enabled: boolean;
    wordInterval: number;
    generateWhileStreaming: boolean;
    maxConcurrent: number;
    minIntervalMs: number;
    timeoutSeconds: number;
    logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
    /** Custom meta-prompt; empty means the shipped default. */
    metaPrompt: string;
}

export interface FieldSpec {
    type: 'bool' | 'int' | 'number' | 'enum' | 'string';
    default: any;
    min?: number;
    max?: number;
    values?: string[];
    maxLength?: number;
}

export type JobStatus = 'pending' | 'ready' | 'failed' | 'committed' | 'dropped';

/** One image to draw for one tag of one swipe of one message. */
export interface Job {
    id: number;
    chatId: string;
    /** The message object itself: it survives index shifts and is gone when deleted. */
    message: ChatMessage;
    swipeId: number;
    ordinal: number;
    prompt: string;
    status: JobStatus;
    src?: string;
    error?: string;
    controller: AbortController;
}

export interface ChatMessage {
    mes: string;
    is_user?: boolean;
    is_system?: boolean;
    name?: string;
    swipe_id?: number;
    swipes?: string[];
    extra?: Record<string, any>;
}
