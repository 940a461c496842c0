import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { FileSink, type FormatWriter } from './format.ts';

interface PointShape {
  tool?: string;
  label?: string;
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  points?: Array<{ x: number; y: number }>;
}

/** Shoelace area of a polygon. */
const polygonArea = (points: Array<{ x: number; y: number }>) => {
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i]!;
    const b = points[(i + 1) % points.length]!;
    sum += a.x * b.y - b.x * a.y;
  }
  return Math.abs(sum) / 2;
};

/**
 * `coco`: `images` (one per exported task item), `annotations` (bbox `[x,y,w,h]` and polygon
 * `segmentation`) and `categories` from the recipe. Images stream into the file while annotations
 * stream into a scratch file that is appended after them, so one pass over the rows suffices.
 */
export const writeCoco: FormatWriter = async (fc) => {
  const categoryId = new Map(fc.categories.map((c) => [c.name, c.id]));
  const sink = new FileSink(fc.path);
  const side = new FileSink(join(fc.scratchDir, 'coco-annotations.json'));
  await sink.write(`{"info":{"description":"Loupe export","version":"1.0","date_created":"${new Date().toISOString()}"},`);
  await sink.write(`"licenses":[],"categories":${JSON.stringify(fc.categories.map((c) => ({ id: c.id, name: c.name, supercategory: '' })))},"images":[`);
  let rows = 0;
  let annotationId = 0;
  for await (const batch of fc.batches()) {
    let images = '';
    let annotations = '';
    for (const row of batch) {
      const imageId = ++rows;
      const payload = JSON.parse(row.payloadJson) as Record<string, unknown>;
      const fileName = String(payload.url ?? payload.fileName ?? payload.file_name ?? row.externalId ?? row.itemId);
      const image = {
        id: imageId,
        file_name: fileName,
        width: typeof payload.width === 'number' ? payload.width : 0,
        height: typeof payload.height === 'number' ? payload.height : 0,
        loupe_item_id: row.itemId,
        loupe_task_id: row.taskId,
        loupe_status: row.status,
      };
      images += (imageId > 1 ? ',' : '') + JSON.stringify(image);
      for (const shape of JSON.parse(row.shapesJson) as PointShape[]) {
        const category = shape.label === undefined ? undefined : categoryId.get(shape.label);
        if (category === undefined) continue;
        let entry: Record<string, unknown> | null = null;
        if (shape.tool === 'bbox' && [shape.x, shape.y, shape.w, shape.h].every((v) => typeof v === 'number')) {
          entry = { bbox: [shape.x, shape.y, shape.w, shape.h], area: shape.w! * shape.h!, segmentation: [] };
        } else if (shape.tool === 'polygon' && Array.isArray(shape.points) && shape.points.length >= 3) {
          const xs = shape.points.map((p) => p.x);
          const ys = shape.points.map((p) => p.y);
          const [minX, minY] = [Math.min(...xs), Math.min(...ys)];
          entry = {
            segmentation: [shape.points.flatMap((p) => [p.x, p.y])],
            bbox: [minX, minY, Math.max(...xs) - minX, Math.max(...ys) - minY],
            area: polygonArea(shape.points),
          };
        }
        if (!entry) continue;
        annotations += (annotationId ? ',' : '') + JSON.stringify({ id: ++annotationId, image_id: imageId, category_id: category, iscrowd: 0, ...entry });
      }
    }
    await sink.write(images);
    await side.write(annotations);
  }
  await side.close();
  await sink.write('],"annotations":[');
  await sink.flush();
  await sink.close();
  // Append the annotations, then close the document.
  const out = createWriteStream(fc.path, { flags: 'a' });
  for await (const chunk of createReadStream(join(fc.scratchDir, 'coco-annotations.json'))) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end(']}\n');
  await once(out, 'finish');
  return { rows };
};
