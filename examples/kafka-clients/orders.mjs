// An unchanged Kafka application on Tributary: kafkajs creates a topic, produces keyed JSON
// orders with an idempotent producer, and a consumer group reads them back and commits, all
// through the Kafka gateway (`tributary gateway`; `npm start` runs one on 127.0.0.1:9092). It
// authenticates as a Kafka client does in production, with SASL/PLAIN: any username, a
// Tributary token as the password.
//
//   KAFKA_BROKER=127.0.0.1:9092 TRIBUTARY_TOKEN=dev-token node examples/kafka-clients/orders.mjs
//
// It prints one line per order read and a summary line of JSON; it exits 1 on any failure.
import { Kafka, logLevel, Partitioners } from "kafkajs";

const broker = process.env.KAFKA_BROKER ?? "127.0.0.1:9092";
const token = process.env.TRIBUTARY_TOKEN ?? "dev-token";
const topic = `orders-${Date.now().toString(36)}`;
const ORDERS = 12;

const kafka = new Kafka({
  clientId: "orders-example",
  brokers: [broker],
  // On a deployed gateway add `ssl: true` (it serves TLS with --tls-cert and --tls-key).
  sasl: { mechanism: "plain", username: "orders-example", password: token },
  logLevel: logLevel.ERROR,
  retry: { retries: 2 },
});

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [{ topic, numPartitions: 3, configEntries: [{ name: "retention.ms", value: "86400000" }] }],
});
await admin.disconnect();

// Kafka's default partitioner (murmur2 of the key), as Tributary's own partitioner: the same key
// lands on the same partition whichever way it is produced.
const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const customers = ["ada", "grace", "edsger"];
await producer.send({
  topic,
  acks: -1,
  messages: Array.from({ length: ORDERS }, (_, i) => ({
    key: customers[i % customers.length],
    value: JSON.stringify({ order: i + 1, total: (i + 1) * 10 }),
    headers: { source: "orders-example" },
  })),
});
await producer.disconnect();

const groupId = `${topic}-billing`;
const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const byCustomer = {};
/** The next offset of each partition read from, committed once every order is in. */
const next = new Map();
let read = 0;
await new Promise((resolve, reject) => {
  const deadline = setTimeout(() => reject(new Error(`read ${read} of ${ORDERS} orders in 30 s`)), 30_000);
  consumer
    .run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        next.set(partition, Number(message.offset) + 1);
        const order = JSON.parse(message.value.toString());
        const customer = message.key.toString();
        byCustomer[customer] = (byCustomer[customer] ?? 0) + order.total;
        console.log(`order ${order.order} of ${customer}: partition ${partition}, offset ${message.offset}`);
        if (++read === ORDERS) {
          clearTimeout(deadline);
          resolve(undefined);
        }
      },
    })
    .catch(reject);
});
await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
await consumer.disconnect();

// The group's committed offsets, as Kafka's admin reads them (and Tributary's /v1/groups does).
const admin2 = kafka.admin();
await admin2.connect();
const [committed] = await admin2.fetchOffsets({ groupId, topics: [topic] });
await admin2.deleteTopics({ topics: [topic] });
await admin2.disconnect();
// A partition nothing was committed for answers -1, as on Kafka.
const committedTotal = committed.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
console.log(`Summary: ${JSON.stringify({ topic, read, byCustomer, committed: committedTotal })}`);
