/**
 * The API's paths (API.md), relative to the client's base URL: one place that spells them and
 * URI-encodes the names in them.
 */

/** `v1/topics/:topic` */
export const topicPath = (topic: string): string => `v1/topics/${encodeURIComponent(topic)}`;

/** `v1/topics/:topic/partitions/:partition` */
export const partitionPath = (topic: string, partition: number): string =>
  `${topicPath(topic)}/partitions/${partition}`;

/** `v1/groups/:group` */
export const groupPath = (group: string): string => `v1/groups/${encodeURIComponent(group)}`;
