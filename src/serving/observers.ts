import type { CaptureWriter } from './capture.js';
import type { InvokeRequest, InvokeResult } from './runtimes/runtime.js';
import type { ShadowFleet } from './shadow.js';

/**
 * The shadow variants and data capture of one endpoint config. They start and stop with the
 * config's fleet (fleet.ts), so during a blue/green update each fleet's answers are captured and
 * mirrored by its own config's observers, from its first request to its last.
 */
export class FleetObservers {
  static readonly NONE = new FleetObservers(undefined, undefined);

  constructor(
    readonly shadows: ShadowFleet | undefined,
    readonly capture: CaptureWriter | undefined,
  ) {}

  /** Off the caller's path: offers the pair to capture and copies the request to the shadows. */
  answered(variant: string, req: InvokeRequest, result: InvokeResult, inferenceId: string | undefined): void {
    this.capture?.offer(variant, req, result, inferenceId);
    this.shadows?.mirror(req, result, inferenceId);
  }

  /** A request production failed still goes to the shadows (nothing to compare it with). */
  failed(req: InvokeRequest, inferenceId: string | undefined): void {
    this.shadows?.mirror(req, undefined, inferenceId);
  }

  /** Resolves once shadow copies are answered and buffered capture records written. */
  async flush(): Promise<void> {
    await this.shadows?.idle();
    await this.capture?.flush();
  }

  async stop(): Promise<void> {
    await this.shadows?.idle();
    await Promise.all([this.shadows?.stop(), this.capture?.close()]);
  }
}
