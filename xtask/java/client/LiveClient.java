package io.kafkagen.live;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import java.util.stream.Collectors;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.acl.*;
import org.apache.kafka.common.resource.*;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.*;

/**
 * The Kafka client of kafkagen's live boot, run inside a pod's network
 * namespace or outside the cluster. It reads one command per line on stdin
 * and answers each with one line on stdout, `ok ...` or `fail ...`:
 *
 *   props FILE                        client properties for later commands
 *   cluster BOOTSTRAP                 brokers=ID@HOST:PORT,... controller=ID
 *   quorum BOOTSTRAP                  leader=ID voters=ID,... observers=ID,...
 *   topic BOOTSTRAP NAME              partitions=N rf=R configs=K=V;...
 *   create BOOTSTRAP NAME PARTITIONS RF [K=V;...]
 *   produce BOOTSTRAP TOPIC N TAG     N records TAG-0.. with acks=all
 *   consume BOOTSTRAP TOPIC TAG N     reads back until N records of TAG
 *   leaders BOOTSTRAP TOPIC           leader of each partition: P=ID,...
 *   lagging BOOTSTRAP TOPIC           lagging=P:ID+ID,... the replicas out of
 *                                     each partition's ISR (or none)
 *   dynamic BOOTSTRAP ID              dynamic=K,... the keys set on broker ID
 *                                     alone (DYNAMIC_BROKER_CONFIG), or none
 *   features BOOTSTRAP                metadata.version=F supported=MIN-MAX: the
 *                                     finalized feature level, and the levels
 *                                     the answering broker supports
 *   produce-start BOOTSTRAP TOPIC TAG keeps producing TAG-0, TAG-1, ...
 *   produce-stop                      acked=N failed=F
 *   verify BOOTSTRAP TOPIC TAG        every acknowledged TAG record is there
 *   load-start BOOTSTRAP TOPIC TAG MIN_ISR
 *                                     what a roll is checked under: an
 *                                     idempotent acks=all producer at a steady
 *                                     rate, a consumer reading along, a
 *                                     producer without retries counting the
 *                                     errors clients see, and the topic's
 *                                     partitions sampled every second
 *   load-stop                         acked=N lost=L unread=U stall_ms=S
 *                                     stall_from_ms=F first_ack_ms=A
 *                                     producer_errors=KIND:N,...
 *                                     canary=N not_enough_replicas=E
 *                                     canary_errors=KIND:N,... samples=N
 *                                     offline_samples=O under_min_isr_samples=M
 *                                     unanswered_samples=Q first_offline=P@T
 *   acl-add BOOTSTRAP ACL             creates the ACL, written as the ACLs Job
 *                                     writes one: PRINCIPAL|HOST|OPERATION|
 *                                     PERMISSION|TYPE|NAME|PATTERN
 *   acls BOOTSTRAP                    acls=ACL;ACL;... every ACL, so written
 *   scram-add BOOTSTRAP USER MECHANISM ITERATIONS PASSWORD
 *                                     sets USER's SCRAM credential, as
 *                                     kafka-configs --add-config would
 *   scram BOOTSTRAP                   scram=USER|MECHANISM|ITERATIONS;... every
 *                                     SCRAM credential, sorted
 */
public final class LiveClient {
    private static final Properties extra = new Properties();
    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    private static Properties base(String bootstrap) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "30000");
        p.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "90000");
        // The `props` file's settings (security, shorter timeouts) win.
        p.putAll(extra);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(base(bootstrap));
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = base(bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties p = base(bootstrap);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }

    private static String nodes(Collection<Node> nodes) {
        return nodes.stream()
                .sorted(Comparator.comparingInt(Node::id))
                .map(n -> n.id() + "@" + n.host() + ":" + n.port())
                .collect(Collectors.joining(","));
    }

    private static String ids(Collection<Integer> ids) {
        return ids.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static String cluster(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            DescribeClusterResult r = a.describeCluster();
            Node controller = r.controller().get();
            return "brokers=" + nodes(r.nodes().get())
                    + " controller=" + (controller == null ? "none" : controller.id())
                    + " cluster_id=" + r.clusterId().get();
        }
    }

    private static String quorum(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            QuorumInfo q = a.describeMetadataQuorum().quorumInfo().get();
            return "leader=" + q.leaderId()
                    + " voters=" + ids(q.voters().stream().map(QuorumInfo.ReplicaState::replicaId).toList())
                    + " observers=" + ids(q.observers().stream().map(QuorumInfo.ReplicaState::replicaId).toList());
        }
    }

    private static String topic(String bootstrap, String name) throws Exception {
        try (Admin a = admin(bootstrap)) {
            TopicDescription d;
            try {
                d = a.describeTopics(List.of(name)).allTopicNames().get().get(name);
            } catch (ExecutionException e) {
                throw new Exception("no topic " + name + ": " + e.getCause().getMessage());
            }
            ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, name);
            Config config = a.describeConfigs(List.of(res)).all().get().get(res);
            String configs = config.entries().stream()
                    .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG)
                    .map(e -> e.name() + "=" + e.value())
                    .sorted()
                    .collect(Collectors.joining(";"));
            Set<Integer> rfs = d.partitions().stream().map(p -> p.replicas().size()).collect(Collectors.toSet());
            return "partitions=" + d.partitions().size()
                    + " rf=" + rfs.stream().map(String::valueOf).collect(Collectors.joining("|"))
                    + " configs=" + configs;
        }
    }

    private static String create(String bootstrap, String name, int partitions, short rf, String configs) throws Exception {
        try (Admin a = admin(bootstrap)) {
            NewTopic t = new NewTopic(name, partitions, rf);
            Map<String, String> c = new TreeMap<>();
            for (String kv : configs.split(";")) {
                String[] f = kv.split("=", 2);
                if (f.length == 2) {
                    c.put(f[0], f[1]);
                }
            }
            t.configs(c);
            try {
                a.createTopics(List.of(t)).all().get();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw e;
                }
            }
            return "created " + name;
        }
    }

    private static String leaders(String bootstrap, String name) throws Exception {
        try (Admin a = admin(bootstrap)) {
            TopicDescription d = a.describeTopics(List.of(name)).allTopicNames().get().get(name);
            return d.partitions().stream()
                    .map(p -> p.partition() + "=" + (p.leader() == null ? "none" : p.leader().id())
                            + "/isr:" + p.isr().stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining("+")))
                    .collect(Collectors.joining(","));
        }
    }

    private static String features(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            FeatureMetadata f = a.describeFeatures().featureMetadata()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            FinalizedVersionRange finalized = f.finalizedFeatures().get("metadata.version");
            SupportedVersionRange supported = f.supportedFeatures().get("metadata.version");
            return "metadata.version=" + (finalized == null ? 0 : finalized.maxVersionLevel())
                    + " supported=" + (supported == null ? "none"
                            : supported.minVersion() + "-" + supported.maxVersion());
        }
    }

    private static String dynamic(String bootstrap, String id) throws Exception {
        try (Admin a = admin(bootstrap)) {
            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, id);
            Config c = a.describeConfigs(List.of(broker)).all()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).get(broker);
            String keys = c.entries().stream()
                    .filter(e -> e.source() == ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG)
                    .map(ConfigEntry::name)
                    .sorted()
                    .collect(Collectors.joining(","));
            return "dynamic=" + (keys.isEmpty() ? "none" : keys);
        }
    }

    private static String lagging(String bootstrap, String name) throws Exception {
        try (Admin a = admin(bootstrap)) {
            TopicDescription d = a.describeTopics(List.of(name)).allTopicNames()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).get(name);
            String out = d.partitions().stream()
                    .filter(p -> !p.isr().containsAll(p.replicas()))
                    .map(p -> p.partition() + ":" + p.replicas().stream()
                            .filter(n -> !p.isr().contains(n))
                            .map(n -> String.valueOf(n.id()))
                            .collect(Collectors.joining("+")))
                    .collect(Collectors.joining(","));
            return "lagging=" + (out.isEmpty() ? "none" : out);
        }
    }

    private static String produce(String bootstrap, String topic, int n, String tag) throws Exception {
        try (KafkaProducer<String, String> p = producer(bootstrap)) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                sent.add(p.send(new ProducerRecord<>(topic, tag + "-" + i, tag + "-" + i)));
            }
            Set<Integer> partitions = new TreeSet<>();
            for (Future<RecordMetadata> f : sent) {
                partitions.add(f.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).partition());
            }
            return "acked=" + n + " partitions=" + partitions.size();
        }
    }

    /** Reads the whole topic from the beginning; returns the values seen. */
    private static Set<String> readAll(String bootstrap, String topic, String tag, int want) throws Exception {
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
            List<TopicPartition> parts = c.partitionsFor(topic, TIMEOUT).stream()
                    .map(i -> new TopicPartition(topic, i.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, TIMEOUT);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    if (r.value() != null && r.value().startsWith(tag + "-")) {
                        seen.add(r.value());
                    }
                }
                boolean atEnd = parts.stream().allMatch(tp -> c.position(tp, TIMEOUT) >= end.get(tp));
                if ((want >= 0 && seen.size() >= want) || (want < 0 && atEnd)) {
                    break;
                }
            }
        }
        return seen;
    }

    private static String consume(String bootstrap, String topic, String tag, int n) throws Exception {
        Set<String> seen = readAll(bootstrap, topic, tag, n);
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!seen.contains(tag + "-" + i)) {
                missing.add(String.valueOf(i));
            }
        }
        if (!missing.isEmpty()) {
            throw new Exception("read " + seen.size() + " of " + n + " records; missing " + String.join(",", missing.subList(0, Math.min(10, missing.size()))));
        }
        return "read=" + n;
    }

    private static final class Background {
        final KafkaProducer<String, String> producer;
        final Set<Integer> acked = ConcurrentHashMap.newKeySet();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        Thread thread;
        String tag;

        Background(String bootstrap) {
            producer = producer(bootstrap);
        }
    }

    private static Background background;
    private static final Map<String, Set<Integer>> ackedByTag = new HashMap<>();

    private static String produceStart(String bootstrap, String topic, String tag) {
        Background b = new Background(bootstrap);
        b.tag = tag;
        b.thread = new Thread(() -> {
            int i = 0;
            while (!b.stop.get()) {
                final int seq = i++;
                b.producer.send(new ProducerRecord<>(topic, tag + "-" + seq, tag + "-" + seq), (m, e) -> {
                    if (e == null) {
                        b.acked.add(seq);
                    } else {
                        b.failed.incrementAndGet();
                    }
                });
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        b.thread.start();
        background = b;
        return "producing";
    }

    private static String produceStop() throws Exception {
        Background b = background;
        b.stop.set(true);
        b.thread.join();
        b.producer.flush();
        b.producer.close(Duration.ofSeconds(150));
        ackedByTag.put(b.tag, b.acked);
        background = null;
        return "acked=" + b.acked.size() + " failed=" + b.failed.get();
    }

    private static String verify(String bootstrap, String topic, String tag) throws Exception {
        Set<Integer> acked = ackedByTag.getOrDefault(tag, Set.of());
        Set<String> seen = readAll(bootstrap, topic, tag, -1);
        List<Integer> lost = acked.stream().filter(i -> !seen.contains(tag + "-" + i)).sorted().toList();
        if (!lost.isEmpty()) {
            throw new Exception("lost " + lost.size() + " of " + acked.size() + " acknowledged records, first " + lost.subList(0, Math.min(10, lost.size())));
        }
        return "acked=" + acked.size() + " found=" + acked.size() + " lost=0";
    }

    /**
     * The load a roll runs under (`load-start`, `load-stop`). Records are
     * keyed TAG-SEQ; the idempotent producer's acknowledged ones must all be
     * read by the consumer, and its longest wait between two
     * acknowledgements is the stall. The canary, a producer without
     * retries, sees the errors clients without retries would.
     */
    private static final class Load {
        static Load current;
        final String bootstrap, topic, tag;
        final int minIsr;
        final AtomicBoolean stop = new AtomicBoolean();
        /** Set once the producer has flushed: no acknowledgement comes later. */
        final AtomicBoolean produced = new AtomicBoolean();
        final Set<Integer> acked = ConcurrentHashMap.newKeySet();
        final Set<Integer> read = ConcurrentHashMap.newKeySet();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicLong lastAck = new AtomicLong(System.nanoTime());
        final AtomicLong maxStall = new AtomicLong();
        /** When the longest stall began, in ms since the load started. */
        final AtomicLong maxStallFrom = new AtomicLong();
        /** The first acknowledgement, in ms since the load started. */
        final AtomicLong firstAck = new AtomicLong(-1);
        /** The idempotent producer's failures, by kind. */
        final Map<String, Integer> producerErrors = new ConcurrentHashMap<>();
        final AtomicInteger canarySent = new AtomicInteger();
        final Map<String, Integer> canaryErrors = new ConcurrentHashMap<>();
        final AtomicInteger samples = new AtomicInteger(), offline = new AtomicInteger(),
                underMinIsr = new AtomicInteger(), unanswered = new AtomicInteger();
        volatile String firstOffline = "";
        final long started = System.nanoTime();
        final List<Thread> threads = new ArrayList<>();
        volatile Exception consumerError;

        Load(String bootstrap, String topic, String tag, int minIsr) {
            this.bootstrap = bootstrap;
            this.topic = topic;
            this.tag = tag;
            this.minIsr = minIsr;
        }

        static String start(String bootstrap, String topic, String tag, int minIsr) throws Exception {
            warmUp(bootstrap, topic);
            Load l = new Load(bootstrap, topic, tag, minIsr);
            l.threads.add(new Thread(l::produce, "load-producer"));
            l.threads.add(new Thread(l::canary, "load-canary"));
            l.threads.add(new Thread(l::consume, "load-consumer"));
            l.threads.add(new Thread(l::sample, "load-sampler"));
            l.threads.forEach(Thread::start);
            current = l;
            return "loading " + topic;
        }

        /**
         * One record to every partition of the new topic, acknowledged by
         * all in-sync replicas, before the load begins: the load measures
         * the roll, not how a topic made a moment ago reaches every broker.
         * (Batches sent to a leader that did not know the topic yet stayed
         * unacknowledged until the delivery timeout, 120 s, under a busy
         * machine.)
         */
        private static void warmUp(String bootstrap, String topic) throws Exception {
            Properties props = base(bootstrap);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                List<Future<RecordMetadata>> sent = new ArrayList<>();
                for (PartitionInfo i : p.partitionsFor(topic)) {
                    sent.add(p.send(new ProducerRecord<>(topic, i.partition(), "warm-up", "warm-up")));
                }
                for (Future<RecordMetadata> f : sent) {
                    f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }

        private void noteAck() {
            long now = System.nanoTime();
            firstAck.compareAndSet(-1, (now - started) / 1_000_000L);
            noteStall(lastAck.getAndSet(now), now);
        }

        private synchronized void noteStall(long from, long to) {
            if (to - from > maxStall.get()) {
                maxStall.set(to - from);
                maxStallFrom.set((from - started) / 1_000_000L);
            }
        }

        private void produce() {
            try (KafkaProducer<String, String> p = producer(bootstrap)) {
                int seq = 0;
                while (!stop.get()) {
                    final int i = seq++;
                    p.send(new ProducerRecord<>(topic, tag + "-" + i, tag + "-" + i), (m, e) -> {
                        if (e == null) {
                            acked.add(i);
                            noteAck();
                        } else {
                            failed.incrementAndGet();
                            producerErrors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                        }
                    });
                    Thread.sleep(10);
                }
                p.flush();
            } catch (Exception e) {
                failed.incrementAndGet();
                producerErrors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            } finally {
                produced.set(true);
            }
        }

        private void canary() {
            Properties props = base(bootstrap);
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            props.put(ProducerConfig.RETRIES_CONFIG, "0");
            props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
            props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "29000");
            try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
                int i = 0;
                while (!stop.get()) {
                    canarySent.incrementAndGet();
                    try {
                        p.send(new ProducerRecord<>(topic, "canary-" + i, "canary-" + i)).get();
                    } catch (ExecutionException e) {
                        canaryErrors.merge(e.getCause().getClass().getSimpleName(), 1, Integer::sum);
                    }
                    i++;
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                canaryErrors.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            }
        }

        private void consume() {
            try (KafkaConsumer<String, String> c = consumer(bootstrap)) {
                // A topic created a moment ago may not be in every
                // broker's metadata yet: no partitions until it is.
                List<TopicPartition> parts = List.of();
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (parts.isEmpty() && System.nanoTime() < deadline) {
                    parts = c.partitionsFor(topic, TIMEOUT).stream()
                            .map(i -> new TopicPartition(topic, i.partition()))
                            .toList();
                    if (parts.isEmpty()) {
                        Thread.sleep(200);
                    }
                }
                if (parts.isEmpty()) {
                    throw new Exception("no partitions of " + topic + " in " + TIMEOUT.toSeconds() + " s");
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                // Reads on after the producer has flushed (records in flight
                // at the stop are acknowledged during the flush), until it
                // has every acknowledged record or load-stop gives up.
                while (!(produced.get() && read.containsAll(acked)) && !Thread.currentThread().isInterrupted()) {
                    for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                        String v = r.value();
                        if (v != null && v.startsWith(tag + "-")) {
                            read.add(Integer.parseInt(v.substring(tag.length() + 1)));
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // load-stop gave up waiting.
            } catch (Exception e) {
                consumerError = e;
            }
        }

        private void sample() {
            Properties props = base(bootstrap);
            props.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "2000");
            props.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "2500");
            try (Admin a = Admin.create(props)) {
                while (!stop.get()) {
                    long t = System.nanoTime();
                    samples.incrementAndGet();
                    try {
                        TopicDescription d = a.describeTopics(List.of(topic)).allTopicNames()
                                .get(3, TimeUnit.SECONDS).get(topic);
                        boolean off = false, under = false;
                        for (TopicPartitionInfo p : d.partitions()) {
                            if (p.leader() == null || p.leader().isEmpty()) {
                                off = true;
                                if (firstOffline.isEmpty()) {
                                    firstOffline = p.partition() + "@" + (t - started) / 1_000_000_000L + "s";
                                }
                            }
                            if (p.isr().size() < minIsr) {
                                under = true;
                            }
                        }
                        if (off) offline.incrementAndGet();
                        if (under) underMinIsr.incrementAndGet();
                    } catch (Exception e) {
                        unanswered.incrementAndGet();
                    }
                    long left = 1000 - (System.nanoTime() - t) / 1_000_000L;
                    if (left > 0) {
                        Thread.sleep(left);
                    }
                }
            } catch (InterruptedException e) {
                // stopped
            }
        }

        static String stop() throws Exception {
            Load l = current;
            if (l == null) {
                throw new Exception("no load running");
            }
            current = null;
            l.stop.set(true);
            noteFinal(l);
            for (Thread t : l.threads.subList(0, 2)) {
                t.join();
            }
            l.threads.get(3).join();
            Thread consumer = l.threads.get(2);
            consumer.join(TIMEOUT.toMillis());
            if (consumer.isAlive()) {
                consumer.interrupt();
                consumer.join();
            }
            Set<Integer> lost = new TreeSet<>(l.acked);
            lost.removeAll(l.read);
            String errors = kinds(l.canaryErrors);
            return "acked=" + l.acked.size()
                    + " failed=" + l.failed.get()
                    + " read=" + l.read.size()
                    + " unread=" + lost.size()
                    + (lost.isEmpty() ? "" : " first_unread=" + lost.stream().limit(5).map(String::valueOf).collect(Collectors.joining(",")))
                    + " stall_ms=" + l.maxStall.get() / 1_000_000L
                    + " stall_from_ms=" + l.maxStallFrom.get()
                    + " first_ack_ms=" + l.firstAck.get()
                    + " producer_errors=" + kinds(l.producerErrors)
                    + " canary=" + l.canarySent.get()
                    + " not_enough_replicas=" + (l.canaryErrors.getOrDefault("NotEnoughReplicasException", 0)
                            + l.canaryErrors.getOrDefault("NotEnoughReplicasAfterAppendException", 0))
                    + " canary_errors=" + errors
                    + " samples=" + l.samples.get()
                    + " offline_samples=" + l.offline.get()
                    + " under_min_isr_samples=" + l.underMinIsr.get()
                    + " unanswered_samples=" + l.unanswered.get()
                    + " first_offline=" + (l.firstOffline.isEmpty() ? "none" : l.firstOffline)
                    + (l.consumerError == null ? "" : " consumer_error=" + (l.consumerError.getClass().getSimpleName() + ":" + l.consumerError.getMessage()).replaceAll("\\s+", "_"));
        }

        /** The wait since the last acknowledgement counts as a stall too. */
        private static void noteFinal(Load l) {
            l.noteStall(l.lastAck.get(), System.nanoTime());
        }

        /** Counts by kind, `KIND:N,...`, or `none`. */
        private static String kinds(Map<String, Integer> counts) {
            String all = counts.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + ":" + e.getValue())
                    .collect(Collectors.joining(","));
            return all.isEmpty() ? "none" : all;
        }
    }

    private static String aclAdd(String bootstrap, String line) throws Exception {
        String[] f = line.split("\\|", -1);
        if (f.length != 7) {
            throw new Exception("an ACL has 7 fields: " + line);
        }
        AclBinding b = new AclBinding(
                new ResourcePattern(ResourceType.valueOf(f[4]), f[5], PatternType.valueOf(f[6])),
                new AccessControlEntry(f[0], f[1], AclOperation.valueOf(f[2]), AclPermissionType.valueOf(f[3])));
        try (Admin a = admin(bootstrap)) {
            a.createAcls(List.of(b)).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        return "added";
    }

    private static String acls(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            return "acls=" + a.describeAcls(AclBindingFilter.ANY).values().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .stream()
                    .map(b -> String.join("|", b.entry().principal(), b.entry().host(),
                            b.entry().operation().name(), b.entry().permissionType().name(),
                            b.pattern().resourceType().name(), b.pattern().name(), b.pattern().patternType().name()))
                    .sorted()
                    .collect(Collectors.joining(";"));
        }
    }

    private static String scramAdd(String bootstrap, String user, String mechanism, int iterations, String password)
            throws Exception {
        try (Admin a = admin(bootstrap)) {
            a.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                            new ScramCredentialInfo(ScramMechanism.fromMechanismName(mechanism), iterations), password)))
                    .all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
        return "set";
    }

    private static String scram(String bootstrap) throws Exception {
        try (Admin a = admin(bootstrap)) {
            return "scram=" + a.describeUserScramCredentials().all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .values().stream()
                    .flatMap(d -> d.credentialInfos().stream()
                            .map(i -> d.name() + "|" + i.mechanism().mechanismName() + "|" + i.iterations()))
                    .sorted()
                    .collect(Collectors.joining(";"));
        }
    }

    private static String run(String[] w) throws Exception {
        switch (w[0]) {
            case "props":
                try (FileInputStream in = new FileInputStream(w[1])) {
                    extra.clear();
                    extra.load(in);
                }
                return "props " + extra.size();
            case "cluster": return cluster(w[1]);
            case "quorum": return quorum(w[1]);
            case "topic": return topic(w[1], w[2]);
            case "create": return create(w[1], w[2], Integer.parseInt(w[3]), Short.parseShort(w[4]), w.length > 5 ? w[5] : "");
            case "leaders": return leaders(w[1], w[2]);
            case "lagging": return lagging(w[1], w[2]);
            case "dynamic": return dynamic(w[1], w[2]);
            case "features": return features(w[1]);
            case "produce": return produce(w[1], w[2], Integer.parseInt(w[3]), w[4]);
            case "consume": return consume(w[1], w[2], w[3], Integer.parseInt(w[4]));
            case "produce-start": return produceStart(w[1], w[2], w[3]);
            case "produce-stop": return produceStop();
            case "verify": return verify(w[1], w[2], w[3]);
            case "load-start": return Load.start(w[1], w[2], w[3], Integer.parseInt(w[4]));
            case "load-stop": return Load.stop();
            case "acl-add": return aclAdd(w[1], w[2]);
            case "acls": return acls(w[1]);
            case "scram-add": return scramAdd(w[1], w[2], w[3], Integer.parseInt(w[4]), w[5]);
            case "scram": return scram(w[1]);
            default: throw new Exception("unknown command " + w[0]);
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // Answers only on stdout: what the client libraries log (a refused
        // login logs an ERROR) goes to stderr, the client's log.
        java.io.PrintStream answers = System.out;
        System.setOut(System.err);
        answers.println("ready");
        answers.flush();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            String answer;
            try {
                answer = "ok " + run(line.trim().split("\\s+"));
            } catch (Exception e) {
                Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                answer = "fail " + (c.getClass().getSimpleName() + ": " + c.getMessage()).replace('\n', ' ');
            }
            answers.println(answer);
            answers.flush();
        }
        System.exit(0);
    }
}
