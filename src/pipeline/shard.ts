// --shard K/N: which part of a run's Kustomizations this job evaluates. Pure.
//
// A run's Kustomizations fall into groups that must be evaluated together: those connected by dependsOn
// (a dependent waits for its dependency and sees what it creates) and by parent → child (a Kustomization
// applied by another one: its spec comes from the parent's build, and the parent's build decides
// whether it is removed). A group goes whole to one shard, picked by a stable hash of the cluster and
// the group's key (its smallest member), so every job of a CI matrix agrees without talking to the
// others, and `podo report merge` of all N shard reports is the report of one run.
//
// One exception keeps shards useful: a cluster root (the Kustomization that applies the others, Flux's
// bootstrap `flux-system`) would glue everything into one group. It is evaluated by every shard instead,
// for its children, and reported by the shard of its own group; its children are grouped among themselves.
import { createHash } from 'node:crypto';

export interface Shard {
  /** 1-based. */
  index: number;
  total: number;
}

export class ShardError extends Error {}

/** `K/N` with 1 ≤ K ≤ N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(total) || total < 1 || index < 1 || index > total) {
    throw new ShardError(`--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/3), got "${text}"`);
  }
  return { index, total };
}

/** The shard (1-based) a group belongs to: sha256 of cluster and group key, modulo the shard count. */
export function shardOf(cluster: string, groupKey: string, total: number): number {
  const digest = createHash('sha256').update(`${cluster}\n${groupKey}`).digest();
  return (digest.readUInt32BE(0) % total) + 1;
}

/** A member of the grouping: its id (`namespace/name`) and the ids it must be evaluated with. */
export interface GroupMember {
  id: string;
  /** Ids it is tied to (its dependsOn, its parent); ids that are not members are ignored. */
  ties: string[];
}

/** Union-find over the members' ties: member id → its group's key (the smallest member id). */
export function groupKeys(members: GroupMember[]): Map<string, string> {
  const parent = new Map<string, string>(members.map((m) => [m.id, m.id]));
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path compression: every node on the way points at the root.
    while (parent.get(x) !== root) {
      const next = parent.get(x)!;
      parent.set(x, root);
      x = next;
    }
    return root;
  };
  for (const m of members) {
    for (const t of m.ties) {
      if (!parent.has(t)) continue;
      const a = find(m.id);
      const b = find(t);
      // The smaller id becomes the root, so the root is the group's smallest member.
      if (a === b) continue;
      if (a < b) parent.set(b, a);
      else parent.set(a, b);
    }
  }
  return new Map(members.map((m) => [m.id, find(m.id)]));
}
