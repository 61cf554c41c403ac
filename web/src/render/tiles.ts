/**
 * The diagram's drawn tiles: horizontal strips of the base layer (shading,
 * lanes, spans, arrows, marks) at one scale, kept so that a frame places
 * tiles instead of drawing arrows again. Bounded: the least recently used go,
 * and their canvases are reused.
 */

/** A tile's height in CSS pixels. */
export const TILE_HEIGHT = 256;
/** Tiles kept (each a canvas of the diagram's width × TILE_HEIGHT). */
const TILES_MAX = 48;

export interface Tile {
  readonly canvas: HTMLCanvasElement;
  /** The scene it was drawn for (filters, mode, trace). */
  readonly version: number;
  /** Pixels per coordinate unit. */
  readonly scale: number;
  readonly width: number;
  readonly index: number;
  /** The coordinates it covers. */
  readonly c0: number;
  readonly c1: number;
  /** The messages drawn in it (for hit tests). */
  readonly messages: Int32Array;
  /** Whether one arrow stood for several in it. */
  readonly thinned: boolean;
}

export class TileCache {
  /** By key, in order of last use (a Map keeps insertion order). */
  private readonly tiles = new Map<string, Tile>();
  private readonly spare: HTMLCanvasElement[] = [];

  get(version: number, scale: number, width: number, index: number): Tile | undefined {
    const key = keyOf(version, scale, width, index);
    const tile = this.tiles.get(key);
    if (tile !== undefined) {
      this.tiles.delete(key);
      this.tiles.set(key, tile);
    }
    return tile;
  }

  put(tile: Tile): void {
    this.tiles.set(keyOf(tile.version, tile.scale, tile.width, tile.index), tile);
    while (this.tiles.size > TILES_MAX) {
      const oldest = this.tiles.keys().next().value;
      if (oldest === undefined) break;
      const gone = this.tiles.get(oldest);
      this.tiles.delete(oldest);
      if (gone !== undefined && this.spare.length < 8) this.spare.push(gone.canvas);
    }
  }

  /** A canvas of a tile no longer kept, to draw a new one into. */
  spareCanvas(): HTMLCanvasElement | undefined {
    return this.spare.pop();
  }

  /** Kept tiles of this scene and width that overlap [c0, c1], at any scale (stand-ins while new ones are drawn). */
  covering(version: number, width: number, c0: number, c1: number): Tile[] {
    const out: Tile[] = [];
    for (const tile of this.tiles.values()) {
      if (tile.version === version && tile.width === width && tile.c1 > c0 && tile.c0 < c1) out.push(tile);
    }
    // Coarser tiles first, finer ones over them.
    return out.sort((a, b) => a.scale - b.scale);
  }

  clear(): void {
    for (const tile of this.tiles.values()) if (this.spare.length < 8) this.spare.push(tile.canvas);
    this.tiles.clear();
  }
}

function keyOf(version: number, scale: number, width: number, index: number): string {
  return `${version}:${scale}:${width}:${index}`;
}
