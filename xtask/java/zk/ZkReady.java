package io.kafkagen.live;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * What `cub zk-ready CONNECT TIMEOUT` does in the Confluent images, for
 * kafkagen's live boot: exit 0 once a ZooKeeper session is connected within
 * the timeout (milliseconds), 1 otherwise.
 */
public final class ZkReady {
    public static void main(String[] args) throws Exception {
        String connect = args[0];
        int timeoutMs = Integer.parseInt(args[1]);
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connect, timeoutMs, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        boolean ok = connected.await(timeoutMs, TimeUnit.MILLISECONDS);
        zk.close();
        if (!ok) {
            System.err.println("Timed out waiting for connection to Zookeeper server [" + connect + "].");
        }
        System.exit(ok ? 0 : 1);
    }
}
