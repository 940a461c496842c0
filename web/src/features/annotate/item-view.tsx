import type { Item, Shape } from '../../api/types.ts';
import { ConversationViewer, RecordViewer, TraceViewer } from './data-viewers.tsx';
import { ImageViewer, type ImageTool } from './image-viewer.tsx';
import { TextViewer } from './text-viewer.tsx';
import { EpisodeViewer } from '../robotics/episode-viewer.tsx';

/** Picks the viewer for the item's kind. */
export function ItemView(props: {
  item: Item;
  shapes: Shape[];
  colors: Map<string, string>;
  labelIndex: Map<string, number>;
  tool: ImageTool;
  readOnly: boolean;
  selected: number | null;
  onSelect: (i: number | null) => void;
  onAdd: (s: Shape) => void;
  onChange: (i: number, s: Shape) => void;
  onSpan?: (start: number, end: number) => void;
  /** Episodes: the label a new segment gets, and whether the recipe offers segments. */
  label?: string;
  canSegment?: boolean;
}) {
  const payload = props.item.payload ?? {};
  switch (props.item.kind) {
    case 'text':
      return (
        <TextViewer text={String(payload.text ?? '')} shapes={props.shapes} labelIndex={props.labelIndex} selected={props.selected} onSelect={props.onSelect} onSpan={props.onSpan} />
      );
    case 'image':
      return (
        <ImageViewer
          url={String(payload.url ?? '')}
          width={typeof payload.width === 'number' ? payload.width : undefined}
          height={typeof payload.height === 'number' ? payload.height : undefined}
          shapes={props.shapes}
          colors={props.colors}
          tool={props.tool}
          readOnly={props.readOnly}
          selected={props.selected}
          onSelect={props.onSelect}
          onAdd={props.onAdd}
          onChange={props.onChange}
        />
      );
    case 'conversation':
    case 'test_case':
      return <ConversationViewer payload={payload} />;
    case 'trace':
      return <TraceViewer payload={payload} />;
    case 'episode':
      return (
        <EpisodeViewer
          payload={payload}
          shapes={props.shapes}
          label={props.label ?? ''}
          labelIndex={props.labelIndex}
          readOnly={props.readOnly}
          canSegment={props.canSegment ?? false}
          onAdd={props.onAdd}
          onSelect={props.onSelect}
          selected={props.selected}
        />
      );
    default:
      return <RecordViewer payload={payload} />;
  }
}
