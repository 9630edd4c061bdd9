package c360.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Starts a Neo4j Community server with a Bolt connector on loopback and authentication on, then
 * waits until its standard input closes or it is sent SIGTERM, and shuts the server down cleanly.
 *
 * <p>Kept this small so that tests (tests/neo4j_server.py), `make run` on Neo4j and the benchmarks
 * all run a real server without Docker: the parent owns the pipe, so a parent that dies takes the
 * server with it.
 *
 * <p>Arguments: {@code --home DIR} (database files; kept across starts), {@code --port N} (0: any
 * free port), {@code --password P}, {@code --plugins DIR}, {@code --pagecache BYTES}. Prints one
 * line {@code c360-neo4j ready bolt://127.0.0.1:PORT version=V} once Bolt accepts connections.
 */
public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = parse(args);
        Path home = Path.of(opts.getOrDefault("--home", Files.createTempDirectory("c360-neo4j").toString()));
        int port = Integer.parseInt(opts.getOrDefault("--port", "0"));
        String password = opts.getOrDefault("--password", "c360-test-pass");
        long pagecache = Long.parseLong(opts.getOrDefault("--pagecache", String.valueOf(256L << 20)));
        if (password.length() < 8) {
            throw new IllegalArgumentException("--password must have at least 8 characters (Neo4j's rule)");
        }

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                // Only the latest transaction log past a checkpoint: nothing here restores from them, and
                // the default of two days' logs filled 71 GB of disk in a five-million-record first load.
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                .setConfig(GraphDatabaseSettings.procedure_unrestricted, List.of("apoc.*"));
        if (opts.containsKey("--plugins")) {
            builder.setConfig(GraphDatabaseSettings.plugin_dir, Path.of(opts.get("--plugins")).toAbsolutePath());
        }
        DatabaseManagementService service = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.shutdown();
            stopped.countDown();
        }, "c360-neo4j-shutdown"));

        // A new home has user neo4j with the default password, to be changed; a kept home keeps the
        // password it was first given.
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        boolean fresh = system.executeTransactionally(
                "SHOW USERS YIELD user, passwordChangeRequired WHERE user = 'neo4j' RETURN passwordChangeRequired",
                Map.of(), result -> result.hasNext() && Boolean.TRUE.equals(result.next().get("passwordChangeRequired")));
        if (fresh) {
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        }

        GraphDatabaseAPI db = (GraphDatabaseAPI) service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        HostnamePort bolt = db.getDependencyResolver().resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        String version = org.neo4j.kernel.internal.Version.getNeo4jVersion();
        System.out.println("c360-neo4j ready bolt://" + bolt.getHost() + ":" + bolt.getPort() + " version=" + version);
        System.out.flush();

        Thread watcher = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() != -1) {
                    // the parent never writes; end of input means it has gone
                }
            } catch (IOException ignored) {
                // a broken pipe also means the parent has gone
            }
            System.exit(0);
        }, "c360-neo4j-stdin");
        watcher.setDaemon(true);
        watcher.start();
        stopped.await();
    }

    private static Map<String, String> parse(String[] args) {
        java.util.HashMap<String, String> opts = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected an option, got " + args[i]);
            }
            opts.put(args[i], args[i + 1]);
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option " + args[args.length - 1] + " has no value");
        }
        return opts;
    }
}
