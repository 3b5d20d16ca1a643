// Colours of the report's page map (RGB): one hue per owner (0 nobody, 1 HOST, 2 HYP, 3.. the VMs in
// order, repeating), and per state a mix of it with white or black: [amount, 1 = white / 0 = black].
export const OWNER_COLOURS: [number, number, number][] = [
  [224, 224, 224], // nobody: NOPAGE
  [40, 100, 210], // HOST
  [140, 60, 170], // HYP
  [230, 120, 20], [30, 150, 70], [200, 40, 40], [20, 150, 150], [200, 160, 0], [220, 60, 150], [100, 90, 220],
];
/** OWNED, SHARED_OWNED, SHARED_BORROWED, NOPAGE, POISON. */
export const STATE_SHADE: [number, number][] = [[0, 0], [0.55, 1], [0.3, 1], [0.8, 1], [0.6, 0]];
