// Prettier over Kiln's own JavaScript (scripts/lint checks it; scripts/js/format writes it).
export default {
  printWidth: 100,
};
