/**
 * Starts and stops a real standalone Apache ZooKeeper server for the
 * conformance suite: the one Debian's `zookeeper` package installs
 * (libzookeeper-java puts /usr/share/java/zookeeper.jar there, and its
 * manifest's Class-Path names every dependency jar). The server listens on
 * 127.0.0.1 only, on a free port, with a fresh data directory that `stop`
 * deletes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Where Debian's libzookeeper-java installs the server jar. */
const DEBIAN_ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
/** A logger binding from libslf4j-java (a dependency of the package); without it the server logs nothing at all. */
const DEBIAN_SLF4J_SIMPLE_JAR = "/usr/share/java/slf4j-simple.jar";

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 100;
/** The server's own output kept for error messages (the tail). */
const OUTPUT_BYTES_MAX = 16_384;
const START_ATTEMPTS_MAX = 3;

/** The ZooKeeper installation the suite found, or why it found none. */
export type ZooKeeperInstall =
  | { readonly found: true; readonly java: string; readonly classpath: readonly string[]; readonly jar: string }
  | { readonly found: false; readonly reason: string };

/**
 * Looks for java and the ZooKeeper server jar. Overrides: ZOOKEEPER_JAR (a
 * server jar whose manifest or ZOOKEEPER_CLASSPATH provides the dependencies),
 * ZOOKEEPER_CLASSPATH (extra entries), JAVA_HOME.
 */
export function locateZooKeeper(env: NodeJS.ProcessEnv = process.env): ZooKeeperInstall {
  const jar = env["ZOOKEEPER_JAR"] ?? DEBIAN_ZOOKEEPER_JAR;
  if (!existsSync(jar)) {
    return { found: false, reason: `no ZooKeeper server jar at ${jar} (install Debian's package: apt-get install -y zookeeper, or set ZOOKEEPER_JAR)` };
  }
  const java = findJava(env);
  if (java === undefined) return { found: false, reason: "no java executable (set JAVA_HOME or put java on PATH)" };
  const classpath = [jar, ...(env["ZOOKEEPER_CLASSPATH"]?.split(delimiter) ?? [])];
  if (existsSync(DEBIAN_SLF4J_SIMPLE_JAR)) classpath.push(DEBIAN_SLF4J_SIMPLE_JAR);
  return { found: true, java, classpath, jar: realpathSync(jar) };
}

function findJava(env: NodeJS.ProcessEnv): string | undefined {
  const home = env["JAVA_HOME"];
  if (home !== undefined && existsSync(join(home, "bin", "java"))) return join(home, "bin", "java");
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, "java"))) return join(dir, "java");
  }
  return undefined;
}

/** A running server. */
export interface RealServer {
  /** "127.0.0.1:port", for a client. */
  readonly connectString: string;
  /** What `srvr` reported, e.g. "3.8.0-11+deb12u2". */
  readonly version: string;
  /** The exact command line that started it. */
  readonly command: readonly string[];
  /** The zoo.cfg it runs with. */
  readonly config: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** Starts a standalone server and waits until it serves requests (`srvr` answers with its version). */
export async function startRealServer(install: Extract<ZooKeeperInstall, { found: true }>): Promise<RealServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS_MAX; attempt++) {
    // The free port is found by binding and releasing it, so another process may take it first: retry.
    try {
      return await startOnce(install, await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The server configuration: standalone, loopback only, no admin server, containers never swept during a test. */
function zooCfg(dataDir: string, port: number): string {
  return [
    "tickTime=2000",
    `dataDir=${dataDir}`,
    `clientPort=${port}`,
    "clientPortAddress=127.0.0.1",
    "admin.enableServer=false",
    "4lw.commands.whitelist=srvr",
    // TTL nodes (createTTL) are refused with Unimplemented unless extended types are on.
    "extendedTypesEnabled=true",
    // The data directory is thrown away; fsync per write would only slow the suite.
    "forceSync=no",
    "",
  ].join("\n");
}

async function startOnce(install: Extract<ZooKeeperInstall, { found: true }>, port: number): Promise<RealServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "zksim-zookeeper-"));
  const configPath = join(dataDir, "zoo.cfg");
  const config = zooCfg(join(dataDir, "data"), port);
  writeFileSync(configPath, config);
  const command = [
    install.java,
    "-Xmx256m",
    // The container/TTL reaper would otherwise run every 60 s and delete nodes at a time no sequence controls.
    "-Dznode.container.checkIntervalMs=3600000",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-cp",
    install.classpath.join(delimiter),
    "org.apache.zookeeper.server.ZooKeeperServerMain",
    configPath,
  ];
  const child = spawn(command[0] as string, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  const output = captureOutput(child);
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.on("exit", killOnExit);
  const stop = async (): Promise<void> => {
    process.off("exit", killOnExit);
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const version = await waitUntilServing(child, port);
    return { connectString: `127.0.0.1:${port}`, version, command, config, stop };
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\ncommand: ${command.join(" ")}\nserver output (tail):\n${output.text()}`);
  }
}

function captureOutput(child: ChildProcess): { text(): string } {
  let tail = "";
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString("utf8")).slice(-OUTPUT_BYTES_MAX);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { text: () => tail };
}

/**
 * Polls `srvr` rather than `ruok`: ruok answers imok as soon as the port is
 * open, srvr only once the server serves requests (and it names the version).
 */
async function waitUntilServing(child: ChildProcess, port: number): Promise<string> {
  const deadlineMs = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the ZooKeeper server exited during startup (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    const answer = await fourLetterWord(port, "srvr").catch(() => "");
    const version = /Zookeeper version: ([^\s,]+)/.exec(answer)?.[1];
    if (version !== undefined) return version;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`the ZooKeeper server did not serve requests on 127.0.0.1:${port} within ${STARTUP_TIMEOUT_MS} ms`);
}

/** Sends a four-letter command and returns everything the server wrote before closing. */
function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let answer = "";
    socket.setTimeout(2_000, () => socket.destroy(new Error("four-letter word timed out")));
    socket.on("connect", () => socket.write(word));
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
