() => {
  const langs = (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || '']);
  return langs.some((l) => String(l).toLowerCase().startsWith('vi')) ? 'vi' : 'en';
}
