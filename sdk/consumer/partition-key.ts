/**
 * The key of a partition in the consumer's maps and sets: the topic and the partition number,
 * joined by a character no topic name holds.
 */
export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Whether `key` is the key of a partition of `topic`. */
export const isKeyOfTopic = (key: string, topic: string): boolean => key.startsWith(`${topic}\u0000`);
