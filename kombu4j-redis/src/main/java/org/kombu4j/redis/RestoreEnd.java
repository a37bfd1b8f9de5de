package org.kombu4j.redis;

/**
 * The end of a queue's list a restored message goes to. Consumers take from the right ({@code RPOP}),
 * so the right is the front. The name of the push command is what the {@link Script#RESTORE restore
 * script} receives.
 */
enum RestoreEnd {
    /** {@code RPUSH}: consumed next — Kombu's restore on close and {@code restore_visible} (§6). */
    FRONT("RPUSH"),
    /** {@code LPUSH}: behind everything waiting — Kombu's {@code reject(requeue=True)} (§6). */
    BACK("LPUSH");

    private final String command;

    RestoreEnd(String command) {
        this.command = command;
    }

    /** The push command, as the restore script's first argument. */
    String command() {
        return command;
    }
}
