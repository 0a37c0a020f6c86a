import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { WebSocketServer } from "ws";

export interface NeonProxy {
  /** The value for the driver's `wsProxy` setting: `127.0.0.1:PORT/v1`. */
  address: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The piece of Neon's edge that the serverless driver needs: a WebSocket that carries the
 * Postgres wire protocol to a TCP server. It only connects to `allowedTarget`.
 */
export async function startNeonProxy(allowedTarget: string, port = 0): Promise<NeonProxy> {
  const server = new WebSocketServer({ host: "127.0.0.1", port, path: "/v1" });
  server.on("connection", (socket, request) => {
    const target = new URL(request.url ?? "/", "http://127.0.0.1").searchParams.get("address");
    if (target !== allowedTarget) {
      socket.close(1008, "address not allowed");
      return;
    }
    const [host, portText] = target.split(":");
    const tcp = connect(Number(portText), host ?? "127.0.0.1");
    tcp.setNoDelay(true);
    const pending: Buffer[] = [];
    tcp.on("connect", () => {
      for (const chunk of pending.splice(0)) tcp.write(chunk);
    });
    socket.on("message", (data: Buffer) => {
      if (tcp.connecting) pending.push(data);
      else tcp.write(data);
    });
    tcp.on("data", (data) => socket.send(data));
    const closeBoth = () => {
      socket.terminate();
      tcp.destroy();
    };
    socket.on("close", closeBoth);
    socket.on("error", closeBoth);
    tcp.on("close", closeBoth);
    tcp.on("error", closeBoth);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${actual}/v1`,
    port: actual,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
