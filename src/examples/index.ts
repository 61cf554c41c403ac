/** Small protocols that show how to write a node for the engine (not part of the service). */
export { GossipNode } from "./gossip.ts";
export type { GossipMsg, GossipOptions } from "./gossip.ts";
export { runGossipDemo, gossipDemoConfig, GOSSIP_DEMO_DESCRIPTION, GOSSIP_DEMO_DURATION_US } from "./gossip-demo.ts";
export type { GossipDemoResult } from "./gossip-demo.ts";
