package org.kombu4j.redis.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.kombu4j.AccessRefusedException;
import org.kombu4j.OperationalException;

/**
 * The commands that open a Redis session (protocol, credentials, database, client name) and what their
 * refusals mean: a credential or database refusal is an {@link AccessRefusedException}, anything else
 * an {@link OperationalException}.
 */
final class Handshake {
    private static final String AUTH = "AUTH";
    private static final String SELECT = "SELECT";
    private static final String DEFAULT_USER = "default";
    private static final Set<String> ACCESS_CODES = Set.of("WRONGPASS", "NOAUTH", "NOPERM");

    private Handshake() {
    }

    /** The commands to send, in order; empty when the defaults need none. */
    static List<List<Object>> commands(RedisEndpoint endpoint, boolean resp3, @Nullable String clientName) {
        List<List<Object>> cmds = new ArrayList<>();
        String user = endpoint.user();
        String password = endpoint.password();
        if (resp3) {
            List<Object> hello = new ArrayList<>(List.of("HELLO", "3"));
            if (password != null) {
                hello.addAll(List.of(AUTH, user != null ? user : DEFAULT_USER, password));
            }
            cmds.add(hello);
        } else if (password != null) {
            cmds.add(user != null ? List.of(AUTH, user, password) : List.of(AUTH, password));
        }
        if (endpoint.db() != 0) {
            cmds.add(List.of(SELECT, endpoint.db()));
        }
        if (clientName != null) {
            cmds.add(List.of("CLIENT", "SETNAME", clientName));
        }
        return cmds;
    }

    /** The exception for the first refused command, or null if none was refused. */
    static @Nullable RuntimeException refusal(RedisEndpoint endpoint, List<List<Object>> commands, List<@Nullable Object> replies) {
        for (int i = 0; i < replies.size(); i++) {
            if (replies.get(i) instanceof RespError err) {
                String what = String.valueOf(commands.get(i).get(0));
                String message = "Redis at " + endpoint + " refused " + what + ": " + err.message();
                if (ACCESS_CODES.contains(err.code()) || err.message().contains("invalid password") || what.equals(SELECT)) {
                    return new AccessRefusedException(message);
                }
                return new OperationalException(message);
            }
        }
        return null;
    }
}
