package org.kombu4j.cli;

/** A command that ran but did not achieve its goal (a timeout, a missing message): exit status 1. */
final class CommandFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandFailure(String message) {
        super(message);
    }
}
